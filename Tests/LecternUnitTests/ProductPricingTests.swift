import Foundation
import Testing

@testable import LecternCommerce
@testable import LecternCore

/// The money rules on their own: which list amounts buy a product, and which provider ids name one.
@Suite struct ProductPricingTests {
    let bundle = ProductPricing(
        price: Money(minorUnits: 5_900, currency: "USD"), regional: [Money(minorUnits: 39_900, currency: "CNY")])
    let pwyw = ProductPricing(
        price: Money(minorUnits: 2_900, currency: "USD"), regional: [Money(minorUnits: 1_500, currency: "JPY")],
        minimum: Money(minorUnits: 900, currency: "USD"))

    @Test func fixedAndRegionalPricesAreExact() {
        #expect(bundle.mismatch(amount: 5_900, currency: "USD") == nil)
        #expect(bundle.mismatch(amount: 39_900, currency: "CNY") == nil)
        #expect(
            bundle.mismatch(amount: 5_901, currency: "USD")
                == "price mismatch: list price 5901 USD, catalog says 5900 USD")
        #expect(bundle.mismatch(amount: 5_900, currency: "CNY") != nil)
        #expect(bundle.mismatch(amount: 5_900, currency: "EUR")?.hasSuffix("(sold in USD, CNY)") == true)
    }

    @Test func payWhatYouWantAcceptsTheMinimumAndMoreInEachCurrency() {
        for amount in [900, 2_900, 1_000_000] { #expect(pwyw.mismatch(amount: amount, currency: "USD") == nil) }
        #expect(pwyw.mismatch(amount: 899, currency: "USD")?.hasPrefix("below the minimum") == true)
        #expect(pwyw.mismatch(amount: 1_500, currency: "JPY") == nil)
        #expect(pwyw.mismatch(amount: 1_499, currency: "JPY") != nil)
        #expect(pwyw.mismatch(amount: 100_000, currency: "EUR") != nil)
    }

    @Test func providerIDsAreCheckedBeforeTheyNameAProduct() {
        #expect(ProviderProductID.isStripePaymentLink("plink_1QAbc9"))
        for bad in ["plink_", "price_1QAbc", "plink_1Q-Abc", "plink_é", "https://buy.stripe.com/test_abc"] {
            #expect(!ProviderProductID.isStripePaymentLink(bad), "\(bad)")
        }
        #expect(ProviderProductID.isLemonSqueezyVariant("424242"))
        for bad in ["", "-5", "4e5", "1234567890123456789", "١٢"] {
            #expect(!ProviderProductID.isLemonSqueezyVariant(bad), "\(bad)")
        }
    }

    /// The session's Payment Link is carried beside the name a buyer may have set; the legacy Adaptive
    /// Pricing session is read in the creator's currency.
    @Test func stripeSessionsNameTheirPaymentLinkAndCreatorCurrency() throws {
        let session: [String: Any] = [
            "id": "cs_1", "payment_status": "paid", "amount_total": 5_480, "amount_subtotal": 5_480, "currency": "eur",
            "payment_intent": "pi_1", "payment_link": "plink_1QX", "client_reference_id": "every-course",
            "customer_details": ["email": "a@example.com"], "total_details": ["amount_discount": 0, "amount_tax": 0],
            "currency_conversion": [
                "amount_subtotal": 5_900, "amount_total": 5_900, "fx_rate": "1.07", "source_currency": "usd",
            ],
        ]
        let body = try JSONSerialization.data(withJSONObject: [
            "id": "evt_1", "type": "checkout.session.completed", "created": 1_700_000_000,
            "data": ["object": session],
        ])
        guard case .paid(let payment) = try ProviderParsers.stripe(body).action else {
            Issue.record("not a payment")
            return
        }
        #expect(payment.providerProducts == ["stripe:plink_1QX"] && payment.product == "every-course")
        #expect(payment.currency == "USD" && payment.amount == 5_900 && payment.listAmount == 5_900)
    }
}

/// Stripe's dispute outcomes: `lost` withdraws, `won` and `warning_closed` (an inquiry) give back.
@Suite struct StripeDisputeTests {
    @Test func closedDisputesSayWhetherTheyWereWon() throws {
        for (status, won) in [("lost", false), ("won", true), ("warning_closed", true)] {
            let body = try JSONSerialization.data(withJSONObject: [
                "id": "evt_\(status)", "type": "charge.dispute.closed", "created": 1_700_000_000,
                "data": [
                    "object": [
                        "id": "dp_1", "object": "dispute", "charge": "ch_1", "payment_intent": "pi_1", "status": status,
                    ]
                ],
            ])
            #expect(
                try ProviderParsers.stripe(body).action == .disputeClosed(paymentRef: "pi_1", won: won), "\(status)")
        }
    }
}

/// What lecternd accepts of `LECTERN_STRIPE_API_KEY`, `LECTERN_STRIPE_API_BASE` and a success URL's session id
/// before any of it reaches a header, a URL or Stripe.
@Suite struct StripeAPISettingsTests {
    @Test func keysBasesAndSessionIDsAreCheckedBeforeUse() throws {
        #expect(try StripeAPI(environment: [:]) == nil)
        #expect(try StripeAPI(environment: ["LECTERN_STRIPE_API_KEY": "rk_live_51AbC"]) != nil)
        for bad in ["pk_live_51AbC", "sk_live_51\r\nX-Evil: 1", "sk_test_a b", "whsec_abc"] {
            #expect(throws: LecternError.self, "\(bad)") {
                _ = try StripeAPI(environment: ["LECTERN_STRIPE_API_KEY": bad])
            }
        }
        let key = ["LECTERN_STRIPE_API_KEY": "sk_test_51AbC"]
        #expect(
            try StripeAPI(environment: key.merging(["LECTERN_STRIPE_API_BASE": "http://127.0.0.1:9"]) { $1 }) != nil)
        for base in ["http://api.stripe.com", "ftp://127.0.0.1", "https://api.stripe.com/v1", "not a url"] {
            #expect(throws: LecternError.self, "\(base)") {
                _ = try StripeAPI(environment: key.merging(["LECTERN_STRIPE_API_BASE": base]) { $1 })
            }
        }
        #expect(StripeAPI.isSessionID("cs_test_a1B2c3") && StripeAPI.isSessionID("cs_live_x"))
        for bad in [
            "cs_", "cs_../../v1/x", "cs_a?expand=x", "cs_a%2F", "pi_123", "cs_é", String(repeating: "a", count: 300),
        ] {
            #expect(!StripeAPI.isSessionID(bad), "\(bad)")
        }
    }
}
