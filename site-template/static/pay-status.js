// The WeChat Pay page (layouts/gate.mustache, notice pay_wechat): asks lecternd every two seconds whether
// the order is paid, then goes to /access/claim, which signs this browser in. Without JavaScript the
// page's own link does the same.
(function () {
  var box = document.querySelector(".wechat-pay[data-order]");
  if (!box) return;
  var order = box.getAttribute("data-order");
  function check() {
    fetch("/pay/status?out_trade_no=" + encodeURIComponent(order), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { paid: false }; })
      .then(function (s) {
        if (s.paid) location.href = "/access/claim?out_trade_no=" + encodeURIComponent(order);
        else setTimeout(check, 2000);
      })
      .catch(function () { setTimeout(check, 5000); });
  }
  setTimeout(check, 2000);
})();
