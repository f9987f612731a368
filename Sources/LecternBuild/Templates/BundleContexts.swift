import LecternConfig
import LecternCore

/// The values a product's landing page (`layouts/bundle.mustache`) and the catalog's product cards see.
extension PageContexts {
    func bundleSummary(_ bundle: BundleOffer) -> [String: Any] {
        let language = config.language
        let pricing = bundle.product.pricing
        var summary: [String: Any] = [
            "slug": bundle.id, "id": bundle.id, "title": bundle.product.title, "summary": bundle.product.summary,
            "url": bundle.path, "price": pricing.price.display(language: language), "is_free": pricing.price.isFree,
            "buy_url": bundle.buyURL, "subscription": bundle.product.interval != nil,
            "interval_week": bundle.product.interval == .week, "interval_month": bundle.product.interval == .month,
            "interval_year": bundle.product.interval == .year, "course_count": bundle.courses.count,
            "single_course": bundle.courses.count == 1,
            "pay_what_you_want": pricing.isPayWhatYouWant,
            "min_price": pricing.minimum?.display(language: language) ?? "",
            "regional": pricing.regional.map { $0.display(language: language) }.joined(separator: " · "),
            "pay_form": !bundle.checkoutProviders.isEmpty,
            "pay_alipay": bundle.checkoutProviders.contains(.alipay),
            "pay_wechat": bundle.checkoutProviders.contains(.wechatpay),
            "pay_default": bundle.checkoutProviders.first?.rawValue ?? "",
        ]
        if let saving = bundle.saving { summary["saving"] = saving.display(language: language) }
        return summary
    }

    /// The page: the bundle as `bundle` (and as `course`, so the `pay` partial serves both), its courses as
    /// the catalog's cards.
    func bundle(_ bundle: BundleOffer) -> [String: Any] {
        let summary = bundleSummary(bundle)
        return [
            "site": site(),
            "page": page(title: bundle.product.title, description: bundle.product.summary, path: bundle.path),
            "bundle": summary, "course": summary, "courses": bundle.courses.map(courseSummary),
        ]
    }
}
