/*! openseqr SEQR bridge v1 (MIT) - include on every page of an External Service:
 *     <script src="https://<your SEQR server>/app/static/seqr-bridge.js"></script>
 *
 * Inside the openseqr wallet web app (/app) your page runs in an <iframe>, where a navigation to
 * seqr://... or SEQR-ACTION://WIZARD/CANCEL cannot be seen by the wallet. The bridge hands those
 * to the wallet with postMessage instead. Outside the wallet (a native SEQR app's web view, a
 * plain browser) it does nothing, so your plain links keep working there.
 *
 * API (window.SEQR):
 *   SEQR.pay(reference [, scheme])  start paying invoice <reference> (seqr://SEQR.SE/R<reference>)
 *   SEQR.go(url)                    hand any trigger to the app (seqr://, seqr-demo://,
 *                                   seqr-debug://, SEQR-ACTION://WIZARD/CANCEL)
 *   SEQR.cancel()                   leave the service (SEQR-ACTION://WIZARD/CANCEL)
 *   SEQR.fragment()                 {token, reference} from location.hash (split at the last "_")
 *   SEQR.token()                    the TOKEN
 *   SEQR.inWallet()                 true inside the openseqr wallet web app
 *   SEQR.submit(form)               submit a <form data-seqr-order> the way the bridge does
 *
 * Caught automatically inside the wallet: clicks on <a href="seqr://..."> (and the other
 * trigger schemes), navigations to them (location.href = ..., where the browser has the
 * Navigation API), <meta http-equiv="refresh"> to a trigger, and submits of
 * <form data-seqr-order>: the form is sent with fetch() and "Accept: application/json"; the
 * answer {"trigger": "seqr://..."} (or {"redirect": "https://..."}) is followed.
 *
 * Messages (to the wallet window only, targetOrigin = the origin this script was loaded from):
 *   {seqr: "bridge", version: 1, type: "ready", href}        when the page has loaded
 *   {seqr: "bridge", version: 1, type: "trigger", url}       the user started a payment / left
 * The wallet answers {seqr: "wallet", version: 1, type: "hello"}.
 */
(function (w, d) {
  "use strict";
  if (w.SEQR && w.SEQR.bridge && !w.SEQR._reinit) return;

  var TRIGGER_RE = /^(seqr|seqr-demo|seqr-debug):\/\/seqr\.se\/r[0-9]{1,32}$/i;
  var CANCEL_RE = /^seqr-action:\/\/wizard\/cancel$/i;
  var WIZARD_CANCEL = "SEQR-ACTION://WIZARD/CANCEL";
  var script = d.currentScript;
  var walletOrigin = null;
  try { walletOrigin = new URL(script.src, location.href).origin; } catch (e) { /* inline */ }
  var framed = false;
  try { framed = w.parent !== w; } catch (e) { framed = true; }
  var confirmed = false;

  function isTrigger(url) {
    url = String(url || "").trim();
    return TRIGGER_RE.test(url) || CANCEL_RE.test(url);
  }

  function inWallet() {
    if (!framed || !walletOrigin) return false;
    if (confirmed) return true;
    var ao = location.ancestorOrigins;
    return !!(ao && ao.length && ao[0] === walletOrigin);
  }

  function post(msg) {
    msg.seqr = "bridge"; msg.version = 1;
    try { w.parent.postMessage(msg, walletOrigin); } catch (e) { /* not the wallet */ }
  }

  function go(url) {
    url = String(url).trim();
    if (inWallet() && isTrigger(url)) { post({type: "trigger", url: url}); return true; }
    location.href = url;
    return false;
  }

  function fragment() {
    var h = location.hash.replace(/^#/, "");
    try { h = decodeURIComponent(h); } catch (e) { /* keep raw */ }
    var i = h.lastIndexOf("_");
    return i < 0 ? {token: h, reference: null} : {token: h.slice(0, i), reference: h.slice(i + 1)};
  }

  function formBody(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (v, k) { if (typeof v === "string") params.append(k, v); });
    return params;
  }

  function submit(form) {
    var name = form.getAttribute("data-seqr-token") || "token";
    var field = form.elements[name];
    if (!field) {
      field = d.createElement("input"); field.type = "hidden"; field.name = name;
      form.appendChild(field);
    }
    if (!field.value) field.value = fragment().token;
    var method = (form.getAttribute("method") || "get").toUpperCase();
    var action = form.action || location.href;
    var body = formBody(form);
    var init = {method: method, credentials: "same-origin", headers: {"Accept": "application/json"}};
    if (method === "GET") {
      var u = new URL(action, location.href); u.search = body.toString(); action = u.href;
    } else {
      init.headers["Content-Type"] = "application/x-www-form-urlencoded";
      init.body = body.toString();
    }
    var buttons = form.querySelectorAll("button, input[type=submit]");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    function enable() { Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; }); }
    return fetch(action, init).then(function (r) {
      var type = r.headers.get("content-type") || "";
      if (type.indexOf("json") >= 0) {
        return r.json().then(function (data) {
          if (data && data.trigger) { enable(); return go(data.trigger); }
          if (data && data.redirect) { location.assign(data.redirect); return; }
          enable();
          form.dispatchEvent(new CustomEvent("seqr:error", {detail: data, bubbles: true}));
        });
      }
      return r.text().then(function (html) {
        if (method === "GET" || r.redirected) { location.assign(r.url); return; }
        replaceDocument(html, r.url);  // a page with a trigger link, or an error page
      });
    }).catch(function (err) {
      enable();
      form.dispatchEvent(new CustomEvent("seqr:error", {detail: String(err), bubbles: true}));
    });
  }

  function replaceDocument(html, base) {
    if (!/<base\s/i.test(html)) {
      var tag = '<base href="' + String(base).replace(/"/g, "&quot;") + '">';
      html = /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, "$&" + tag) : tag + html;
    }
    w.SEQR._reinit = true;  // document.open() drops our listeners; the page's bridge re-installs
    d.open(); d.write(html); d.close();
  }

  function onClick(ev) {
    if (ev.defaultPrevented || ev.button !== 0) return;
    var a = ev.target && ev.target.closest ? ev.target.closest("a[href]") : null;
    if (!a) return;
    var href = a.getAttribute("href");
    if (isTrigger(href) && inWallet()) { ev.preventDefault(); go(href); }
  }

  function onSubmit(ev) {
    var form = ev.target;
    if (!form || !form.matches || !form.matches("form[data-seqr-order]")) return;
    if (ev.defaultPrevented || !inWallet() || !w.fetch) return;
    ev.preventDefault();
    submit(form);
  }

  function onNavigate(ev) {
    var url = ev.destination && ev.destination.url;
    if (url && isTrigger(url) && inWallet() && ev.cancelable) {
      ev.preventDefault(); post({type: "trigger", url: url});
    }
  }

  function checkRefresh() {
    var metas = d.querySelectorAll('meta[http-equiv="refresh" i]');
    Array.prototype.forEach.call(metas, function (m) {
      var c = m.getAttribute("content") || "";
      var match = /^\s*(\d+)\s*[;,]\s*url\s*=\s*['"]?([^'"]+)['"]?\s*$/i.exec(c);
      if (match && isTrigger(match[2]) && inWallet()) {
        setTimeout(function () { go(match[2]); }, parseInt(match[1], 10) * 1000);
      }
    });
  }

  function onMessage(ev) {
    if (ev.origin !== walletOrigin || ev.source !== w.parent) return;
    var m = ev.data;
    if (m && m.seqr === "wallet" && m.type === "hello") confirmed = true;
  }

  w.addEventListener("click", onClick, true);
  w.addEventListener("submit", onSubmit, false);
  w.addEventListener("message", onMessage);
  if (w.navigation && w.navigation.addEventListener) {
    w.navigation.addEventListener("navigate", onNavigate);
  }
  function ready() {
    checkRefresh();
    if (framed && walletOrigin) post({type: "ready", href: location.href});
  }
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", ready); else ready();

  w.SEQR = {
    bridge: 1,
    pay: function (reference, scheme) {
      return go((scheme || "seqr") + "://SEQR.SE/R" + String(reference).replace(/^R/i, ""));
    },
    go: go,
    cancel: function () { return go(WIZARD_CANCEL); },
    fragment: fragment,
    token: function () { return fragment().token; },
    inWallet: inWallet,
    submit: submit,
    isTrigger: isTrigger
  };
})(window, document);
