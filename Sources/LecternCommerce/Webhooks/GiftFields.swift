import Foundation
import LecternCore

/// A gift, as a checkout carries it: the recipient's address (and optionally the day it should arrive) in
/// fields the giver filled in — a Stripe Checkout custom field or metadata, Lemon Squeezy custom data, or
/// the Standard Webhooks sender's own fields. The giver is the one who paid; the recipient gets the access.
extension ProviderParsers {
    /// Stripe custom field keys are letters and digits only: `giftto` and `giftdate` (metadata may use
    /// `gift_to` and `gift_date`).
    static func stripeGift(_ object: JSONObject, into payment: inout PaymentEvent.Payment, now: Date) {
        func field(_ key: String) -> String? {
            object.string("metadata", key)
                ?? object.objects("custom_fields").first {
                    $0.string("key")?.replacingOccurrences(of: "_", with: "").lowercased()
                        == key.replacingOccurrences(of: "_", with: "")
                }?.string("text", "value")
        }
        gift(to: field("gift_to"), on: field("gift_date"), into: &payment, now: now)
    }

    /// Sets `giftTo` and `giftDate`. An address that is not one flags the order (the giver paid: the creator
    /// decides, `lectern approve` grants the giver); a gift to oneself is a purchase; a day that is not a
    /// date, or is past, means now; more than a year ahead is held a year.
    static func gift(to text: String?, on day: String?, into payment: inout PaymentEvent.Payment, now: Date) {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return }
        guard let recipient = EmailAddress(text) else {
            payment.giftProblem = "the gift's recipient is not an e-mail address: \(text.prefix(80))"
            return
        }
        guard recipient != payment.email else { return }
        payment.giftTo = recipient
        if let day, let date = CalendarDay.start(day), date > now { payment.giftDate = date }
    }
}
