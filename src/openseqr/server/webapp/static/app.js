/* openseqr wallet web app (spec 12): sign in, balances, scan (camera / image / text), invoice,
 * PIN, receipt, cancel, External Services in an iframe with the seqr-bridge.js protocol.
 * Plain ES2017, no build step. State lives in memory; sessionStorage keeps only the session
 * token, msisdn and name (never the PIN). */
(function () {
  "use strict";

  var API = document.body.getAttribute("data-api") || "/api/app/v1";
  var STORE_KEY = "openseqr.wallet";
  var TRIGGER_RE = /^(seqr|seqr-demo|seqr-debug):\/\/seqr\.se\/r([0-9]{1,32})$/i;
  var INVOICE_QR_RE = /^https?:\/\/seqr\.se\/r([0-9]{1,32})$/i;
  var CANCEL_RE = /^seqr-action:\/\/wizard\/cancel$/i;
  var POLL_MS = 1500;

  var S = {
    token: null, msisdn: null, name: null,   // the signed-in customer
    invoice: null,                            // the invoice on screen
    flow: null,                               // null | {kind: "service", ...}
    pin: "", pinMode: null,                   // "signin" | "pay"
    signinMsisdn: null,
    timers: [], camera: null, scanning: false, receiptTimer: null
  };

  // ------------------------------------------------------------------ helpers
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function money(m) {
    if (!m) return "";
    var n = Number(m.value);
    var s = isFinite(n) ? n.toLocaleString("sv-SE", {minimumFractionDigits: 2, maximumFractionDigits: 2})
                        : m.value;
    return s + " " + (m.currency || "");
  }
  function when(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d)) return iso;
    return d.toLocaleString("sv-SE", {year: "numeric", month: "2-digit", day: "2-digit",
                                      hour: "2-digit", minute: "2-digit"});
  }
  function clearTimers() { S.timers.forEach(clearTimeout); S.timers = []; }
  function later(fn, ms) { var t = setTimeout(fn, ms); S.timers.push(t); return t; }
  function toast(text, ms) {
    var t = $("toast"); t.textContent = text; t.hidden = false;
    clearTimeout(toast.t); toast.t = setTimeout(function () { t.hidden = true; }, ms || 3500);
  }
  function showError(id, text) { var e = $(id); e.textContent = text || ""; e.hidden = !text; }

  function ApiError(status, body) {
    this.status = status; this.error = (body && body.error) || "Error";
    this.message = (body && body.message) || ("HTTP " + status);
  }
  function api(method, path, body, auth) {
    var headers = {"Accept": "application/json"};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth && S.token) headers["Authorization"] = "Bearer " + S.token;
    return fetch(API + path, {method: method, headers: headers, credentials: "same-origin",
                              body: body === undefined ? undefined : JSON.stringify(body)})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) {
            var err = new ApiError(r.status, data);
            if (auth && r.status === 401 && err.error === "NotSignedIn") signOut(err.message);
            throw err;
          }
          return data;
        });
      }, function (e) { throw new ApiError(0, {error: "Offline", message: "The SEQR server cannot be reached."}); });
  }

  // ------------------------------------------------------------------ screens
  var current = null;
  function show(name) {
    if (current === "scan" && name !== "scan") stopCamera();
    if (name !== "result") stopReceiptPolling();
    Array.prototype.forEach.call(document.querySelectorAll(".screen"), function (s) {
      s.hidden = s.id !== "screen-" + name;
    });
    current = name;
    document.body.setAttribute("data-screen", name);
    window.scrollTo(0, 0);
  }

  // ------------------------------------------------------------------ session
  function save() {
    sessionStorage.setItem(STORE_KEY, JSON.stringify({token: S.token, msisdn: S.msisdn, name: S.name}));
  }
  function signOut(reason) {
    S.token = S.msisdn = S.name = null; S.flow = null; S.invoice = null;
    sessionStorage.removeItem(STORE_KEY);
    clearTimers(); removeFrame();
    show("signin");
    showError("signin-error", reason || "");
  }
  function startSignin(msisdn, name) {
    msisdn = String(msisdn || "").replace(/[\s-]/g, "");
    if (!/^(\+|00)?[0-9]{6,15}$/.test(msisdn)) {
      showError("signin-error", "Enter your phone number in international format, e.g. 46700000001.");
      return;
    }
    showError("signin-error", "");
    S.signinMsisdn = msisdn;
    openPin("signin", name ? "Hi " + name.split(" ")[0] + "!" : "Sign in", "Enter your PIN for " + msisdn);
  }

  // ------------------------------------------------------------------ home
  function loadHome() {
    show("home");
    $("home-name").textContent = S.name || S.msisdn;
    return api("GET", "/me", undefined, true).then(renderHome, function (err) {
      if (err.status === 423) signOut("Your wallet is locked after too many wrong PINs.");
      else if (err.status !== 401) toast(err.message);
    });
  }
  function renderHome(w) {
    S.name = w.name; save();
    $("home-name").textContent = w.name;
    var box = $("balances"); box.textContent = "";
    ["SEK", "EUR", "USD"].forEach(function (cur, i) {
      if (!(cur in w.balances)) return;
      var b = el("div", "balance" + (i === 0 ? " main" : ""));
      b.setAttribute("data-currency", cur);
      b.appendChild(el("div", "cur", i === 0 ? "Balance " + cur : cur));
      b.appendChild(el("div", "amt", money({value: w.balances[cur], currency: i === 0 ? "" : ""}).trim()));
      box.appendChild(b);
    });
    var msgs = $("messages"); msgs.textContent = "";
    (w.messages || []).slice(0, 5).forEach(function (m) {
      var li = el("li", "message");
      li.appendChild(el("div", null, m.text));
      var t = el("time", null, when(m.at)); li.appendChild(t);
      msgs.appendChild(li);
    });
    $("messages-box").hidden = !(w.messages || []).length;
    var list = $("history"); list.textContent = "";
    (w.invoices || []).slice(0, 20).forEach(function (inv) {
      var li = el("li");
      var paid = inv.status === "PAID" || inv.ers_reference;
      var row = el(paid ? "button" : "div", "item");
      if (paid) { row.type = "button"; row.addEventListener("click", function () { openReceipt(inv.reference); }); }
      var main = el("div", "item-main");
      main.appendChild(el("div", "item-title", inv.title || inv.merchant || ("Invoice " + inv.reference)));
      main.appendChild(el("div", "item-sub", [inv.merchant, when(inv.paid_at).slice(0, 10)].filter(Boolean).join(" · ")));
      var right = el("div", "item-amt");
      right.appendChild(el("div", null, money(inv.total)));
      right.appendChild(el("span", "chip " + inv.status, label(inv.status)));
      row.appendChild(main); row.appendChild(right); li.appendChild(row); list.appendChild(li);
    });
    $("history-empty").hidden = !!(w.invoices || []).length;
  }
  function label(status) {
    return {PAID: "Paid", CANCELED: "Cancelled", FAILED: "Failed", RESERVED: "Reserved",
            ISSUED: "Open", PENDING_ISSUER_ACKNOWLEDGE: "Waiting"}[status] || status;
  }

  // ------------------------------------------------------------------ PIN pad
  function openPin(mode, title, sub) {
    S.pinMode = mode; S.pin = "";
    $("pin-title").textContent = title; $("pin-sub").textContent = sub || "";
    $("pin-error").textContent = ""; renderDots(); enableKeypad(true);
    show("pin");
  }
  function renderDots() {
    Array.prototype.forEach.call($("pin-dots").children, function (d, i) {
      d.className = i < S.pin.length ? "on" : "";
    });
  }
  function enableKeypad(on) {
    Array.prototype.forEach.call($("keypad").querySelectorAll("button"), function (b) {
      b.disabled = !on && b.getAttribute("data-key") !== "cancel";
    });
  }
  function pinError(text) {
    $("pin-error").textContent = text; S.pin = ""; renderDots(); enableKeypad(true);
    var d = $("pin-dots"); d.classList.remove("shake"); void d.offsetWidth; d.classList.add("shake");
  }
  function onKey(key) {
    if (key === "cancel") return pinCancelled();
    if (key === "back") { S.pin = S.pin.slice(0, -1); renderDots(); return; }
    if (S.pin.length >= 4) return;
    S.pin += key; renderDots();
    if (S.pin.length === 4) { enableKeypad(false); later(submitPin, 120); }
  }
  function submitPin() {
    var pin = S.pin;
    if (S.pinMode === "signin") {
      api("POST", "/login", {msisdn: S.signinMsisdn, pin: pin}).then(function (r) {
        S.token = r.token; S.msisdn = r.msisdn; S.name = r.name; save(); S.pin = "";
        loadHome();
      }, function (err) {
        if (err.status === 401) pinError(pinMessage(err.message));
        else if (err.status === 423) pinError("Your wallet is locked after too many wrong PINs.");
        else if (err.status === 404) { show("signin"); showError("signin-error", "Unknown phone number."); }
        else pinError(err.message);
      });
    } else if (S.pinMode === "pay") {
      pay(pin);
    }
  }
  function pinMessage(msg) {
    var m = /(\d+) tr(y|ies) left/i.exec(msg || "");
    return m ? "Wrong PIN. " + m[1] + (m[1] === "1" ? " try" : " tries") + " left." : "Wrong PIN.";
  }
  function pinCancelled() {
    if (S.pinMode === "signin") { show("signin"); return; }
    if (S.pinMode === "pay") customerCancel();
  }

  // ------------------------------------------------------------------ scanning
  function normalise(text) {
    text = String(text || "").trim();
    if (/^[0-9]{1,32}$/.test(text)) return "HTTP://SEQR.SE/R" + text;
    return text;
  }
  function openCode(text, from) {
    var code = normalise(text);
    showError("scan-error", "");
    if (!code) { showError("scan-error", "Enter or scan a SEQR code."); return Promise.resolve(); }
    if (CANCEL_RE.test(code)) { showError("scan-error", "Not a valid SEQR code here."); return Promise.resolve(); }
    S.flow = null;
    return api("POST", "/scan", {code: code}, true).then(function (r) {
      if (r.kind === "invoice") return showInvoice(r.invoice);
      if (r.kind === "waiting") return waitForAmount(code, r);
      if (r.kind === "service") return openService(r);
    }, function (err) {
      if (current !== "scan") show("scan");
      showError("scan-error", err.status === 409 || err.status === 400 ? "Not a valid SEQR code. " + err.message
                : err.message);
    });
  }

  function decodeImageData(img) {
    if (!window.jsQR) return null;
    var r = window.jsQR(img.data, img.width, img.height, {inversionAttempts: "attemptBoth"});
    return r && r.data ? r.data : null;
  }
  function drawToCanvas(source, w, h, max) {
    var scale = Math.min(1, max / Math.max(w, h));
    var c = $("scan-canvas"); c.width = Math.max(1, Math.round(w * scale)); c.height = Math.max(1, Math.round(h * scale));
    var g = c.getContext("2d", {willReadFrequently: true});
    g.drawImage(source, 0, 0, c.width, c.height);
    return g.getImageData(0, 0, c.width, c.height);
  }
  var detector = null;
  function nativeDetector() {
    if (detector !== null) return Promise.resolve(detector);
    if (!("BarcodeDetector" in window)) { detector = false; return Promise.resolve(false); }
    return window.BarcodeDetector.getSupportedFormats().then(function (f) {
      detector = f.indexOf("qr_code") >= 0 ? new window.BarcodeDetector({formats: ["qr_code"]}) : false;
      return detector;
    }, function () { detector = false; return false; });
  }
  function decode(source, w, h) {
    return nativeDetector().then(function (det) {
      if (!det) return null;
      return det.detect(source).then(function (codes) { return codes.length ? codes[0].rawValue : null; },
                                     function () { return null; });
    }).then(function (text) { return text || decodeImageData(drawToCanvas(source, w, h, 1024)); });
  }

  function onFile(ev) {
    var file = ev.target.files && ev.target.files[0];
    ev.target.value = "";
    if (!file) return;
    showError("scan-error", "");
    var url = URL.createObjectURL(file);
    var img = new Image();
    img.onload = function () {
      decode(img, img.naturalWidth, img.naturalHeight).then(function (text) {
        URL.revokeObjectURL(url);
        if (!text) { showError("scan-error", "No QR code found in that picture."); return; }
        $("paste-code").value = text;
        openCode(text, "image");
      });
    };
    img.onerror = function () { URL.revokeObjectURL(url); showError("scan-error", "That file is not a picture."); };
    img.src = url;
  }

  function startCamera() {
    showError("scan-error", "");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      $("camera-status").textContent = "No camera here: upload a picture or paste the code.";
      return;
    }
    $("camera-status").textContent = "Starting the camera…";
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false}).then(function (stream) {
      S.camera = stream;
      var v = $("camera"); v.srcObject = stream;
      $("viewfinder").hidden = false; $("camera-start").hidden = true; $("camera-stop").hidden = false;
      $("camera-status").textContent = "Point the camera at a SEQR code.";
      return v.play().then(function () { S.scanning = true; scanFrame(); });
    }).catch(function (err) {
      stopCamera();
      $("camera-status").textContent = "The camera is not available (" + (err && err.name || err) +
        "). Upload a picture or paste the code instead.";
    });
  }
  function scanFrame() {
    if (!S.scanning) return;
    var v = $("camera");
    if (v.readyState >= 2 && v.videoWidth) {
      decode(v, v.videoWidth, v.videoHeight).then(function (text) {
        if (!S.scanning) return;
        if (text) { stopCamera(); $("paste-code").value = text; openCode(text, "camera"); }
        else setTimeout(scanFrame, 200);
      });
    } else setTimeout(scanFrame, 200);
  }
  function stopCamera() {
    S.scanning = false;
    if (S.camera) { S.camera.getTracks().forEach(function (t) { t.stop(); }); S.camera = null; }
    var v = $("camera"); if (v) v.srcObject = null;
    $("viewfinder").hidden = true; $("camera-start").hidden = false; $("camera-stop").hidden = true;
  }

  // ------------------------------------------------------------------ terminal sticker
  function waitForAmount(code, r) {
    show("waiting");
    $("waiting-title").textContent = r.terminal || "Checkout";
    $("waiting-text").textContent = "Waiting for amount…";
    $("waiting-sub").textContent = "The cashier is entering your purchase.";
    var poll = function () {
      api("POST", "/scan", {code: code}, true).then(function (x) {
        if (current !== "waiting") return;
        if (x.kind === "invoice") showInvoice(x.invoice); else later(poll, POLL_MS);
      }, function (err) { if (current === "waiting") { toast(err.message); later(poll, POLL_MS * 2); } });
    };
    later(poll, POLL_MS);
  }

  // ------------------------------------------------------------------ invoice
  function showInvoice(inv) {
    clearTimers();
    S.invoice = inv;
    show("invoice");
    $("inv-merchant").textContent = inv.merchant || "Merchant";
    $("inv-title").textContent = inv.title || "";
    $("inv-title").hidden = !inv.title;
    var body = $("inv-rows").tBodies[0]; body.textContent = "";
    (inv.rows || []).forEach(function (row) {
      var tr = el("tr");
      tr.appendChild(el("td", "q", row.quantity ? formatQty(row.quantity) + "×" : ""));
      tr.appendChild(el("td", "d", row.description || ""));
      tr.appendChild(el("td", "a", row.total ? money(row.total) : ""));
      body.appendChild(tr);
    });
    $("inv-rows").hidden = !(inv.rows || []).length;
    $("inv-total").textContent = money(inv.total);
    $("inv-footer").textContent = inv.footer || ""; $("inv-footer").hidden = !inv.footer;
    $("inv-ref").textContent = inv.reference;
    $("inv-account").textContent = "SEQR account · " + (S.msisdn || "");
    var payable = inv.status === "ISSUED" || inv.status === "PENDING_ISSUER_ACKNOWLEDGE";
    var notice = $("inv-notice");
    $("inv-confirm").hidden = !payable; $("inv-cancel").hidden = !payable; $("inv-close").hidden = payable;
    $("inv-confirm").disabled = false;
    if (!payable) {
      notice.hidden = false;
      notice.textContent = {PAID: "This invoice is already paid.", CANCELED: "This invoice was cancelled.",
                            FAILED: "This payment failed." + (inv.reason ? " (" + inv.reason + ")" : ""),
                            RESERVED: "The amount is already reserved."}[inv.status] || ("Status: " + inv.status);
    } else if (inv.awaiting_merchant) {
      notice.hidden = false; notice.textContent = "Waiting for the merchant to confirm the amount…";
      $("inv-confirm").disabled = true;
      later(function refresh() {
        api("GET", "/invoices/" + encodeURIComponent(inv.reference), undefined, true)
          .then(function (x) { if (current === "invoice") showInvoice(x); },
                function () { if (current === "invoice") later(refresh, POLL_MS); });
      }, POLL_MS);
    } else {
      notice.hidden = true;
    }
  }
  function formatQty(q) { var n = Number(q); return isFinite(n) ? String(n) : q; }

  function confirmPayment() {
    var inv = S.invoice; if (!inv) return;
    openPin("pay", "Pay " + money(inv.total), "to " + (inv.merchant || "the merchant"));
  }

  function pay(pin) {
    var inv = S.invoice;
    api("POST", "/invoices/" + encodeURIComponent(inv.reference) + "/pay",
        {msisdn: S.msisdn, pin: pin, version: inv.version}).then(function (r) {
      S.pin = ""; S.invoice = r;
      if (r.status === "PAID" || r.status === "RESERVED") return finish("success", r);
      return finish("failure", r, r.reason ? "The payment was declined: " + r.reason + "." : "The payment was declined.");
    }, function (err) {
      if (err.status === 401) return pinError(pinMessage(err.message));
      if (err.status === 423) {
        S.pin = "";
        return finish("failure", inv, "Too many wrong PINs: your wallet is locked and the payment failed.", true);
      }
      if (err.status === 409 && err.error === "InvoiceChanged") {
        return api("GET", "/invoices/" + encodeURIComponent(inv.reference), undefined, true)
          .then(function (x) { showInvoice(x); var n = $("inv-notice"); n.hidden = false;
                               n.textContent = "The invoice changed. Please check it again."; });
      }
      if (err.status === 503) return finish("failure", inv, "The bank is not available right now. Nothing was charged.");
      return finish("failure", inv, err.message);
    });
  }

  function customerCancel() {
    var inv = S.invoice; if (!inv) return show("home");
    enableKeypad(false);
    api("POST", "/me/invoices/" + encodeURIComponent(inv.reference) + "/cancel", {}, true).then(function (r) {
      S.invoice = r; finish("cancel", r);
    }, function (err) {
      finish("cancel", inv, err.status === 401 ? "Sign in again." : err.message);
    });
  }

  // outcome: "success" | "failure" | "cancel"
  function finish(outcome, inv, text, locked) {
    if (S.flow && S.flow.kind === "service") return serviceOutcome(outcome, inv, text, locked);
    showResult(outcome, inv, text, locked);
  }

  function showResult(outcome, inv, text, locked) {
    show("result");
    var icon = $("result-icon");
    icon.className = "result-icon" + (outcome === "success" ? "" : outcome === "cancel" ? " neutral" : " bad");
    icon.textContent = outcome === "success" ? "✓" : outcome === "cancel" ? "–" : "!";
    $("result-title").textContent = outcome === "success"
      ? (inv && inv.status === "RESERVED" ? "Amount reserved." : "Payment completed.")
      : outcome === "cancel" ? "Payment cancelled." : "Payment failed.";
    $("result-text").textContent = text || (outcome === "cancel" ? "Nothing was charged." : "");
    $("receipt").hidden = true;
    S.afterResult = locked ? function () { signOut("Your wallet is locked after too many wrong PINs."); }
                           : backHome;
    if (outcome === "success" && inv) renderReceipt(inv.reference, true);
  }

  // ------------------------------------------------------------------ receipt
  function openReceipt(reference) {
    show("result");
    $("result-icon").className = "result-icon"; $("result-icon").textContent = "✓";
    $("result-title").textContent = "Receipt"; $("result-text").textContent = "";
    $("receipt").hidden = true; S.afterResult = backHome;
    renderReceipt(reference, false);
  }
  function renderReceipt(reference, poll) {
    return api("GET", "/me/invoices/" + encodeURIComponent(reference) + "/receipt", undefined, true).then(function (r) {
      var rc = r.receipt;
      $("receipt").hidden = false;
      $("rc-merchant").textContent = rc.merchant || "";
      $("rc-amount").textContent = money(rc.amount);
      $("rc-date").textContent = when(rc.paid_at);
      $("rc-ers").textContent = rc.ers_reference || "–";
      $("rc-ref").textContent = r.invoice.reference;
      $("rc-title").textContent = rc.title || ""; $("rc-title").hidden = !rc.title;
      $("rc-footer").textContent = rc.footer || ""; $("rc-footer").hidden = !rc.footer;
      $("receipt").setAttribute("data-reference", reference);
      renderDocs(rc.documents || []);
      stopReceiptPolling();
      if (poll && !(rc.documents || []).length) {
        var tries = 0;
        S.receiptTimer = setInterval(function () {
          if (++tries > 10 || current !== "result") return stopReceiptPolling();
          api("GET", "/me/invoices/" + encodeURIComponent(reference) + "/receipt", undefined, true).then(function (x) {
            if ((x.receipt.documents || []).length) { renderDocs(x.receipt.documents); stopReceiptPolling(); }
          }, function () {});
        }, 2000);
      }
    }, function (err) { if (err.status !== 401) toast("Receipt: " + err.message); });
  }
  function stopReceiptPolling() { if (S.receiptTimer) { clearInterval(S.receiptTimer); S.receiptTimer = null; } }
  function renderDocs(docs) {
    var box = $("rc-docs"); box.textContent = "";
    docs.forEach(function (d) {
      var div = el("div", "doc");
      div.appendChild(el("div", "doc-head", "Receipt from the merchant" + (d.receipt_type ? " · " + d.receipt_type : "") +
                                     " · " + d.mime_type));
      if (d.text != null) {
        div.appendChild(el("pre", null, d.text));
      } else if (d.data_base64 && /^image\/(png|jpeg|gif|webp)$/i.test(d.mime_type)) {
        var img = el("img"); img.alt = "Receipt image"; img.src = "data:" + d.mime_type + ";base64," + d.data_base64;
        div.appendChild(img);
      } else if (d.data_base64) {
        var bytes = atob(d.data_base64), arr = new Uint8Array(bytes.length);
        for (var i = 0; i < bytes.length; i++) arr[i] = bytes.charCodeAt(i);
        var a = el("a", "btn ghost small", "Download (" + d.size + " bytes)");
        a.href = URL.createObjectURL(new Blob([arr], {type: "application/octet-stream"}));
        a.download = "receipt-" + (d.index + 1);
        div.appendChild(a);
      } else {
        div.appendChild(el("p", "muted", "Too large to show here (" + d.size + " bytes)."));
      }
      box.appendChild(div);
    });
  }

  function backHome() { S.flow = null; S.invoice = null; clearTimers(); loadHome(); }

  // ------------------------------------------------------------------ External Service (ES-3..ES-14)
  var frame = null;
  function baseUrl(url) { return String(url).split("#")[0]; }
  function setFrame(url) {
    removeFrame();
    frame = document.createElement("iframe");
    frame.setAttribute("title", S.flow ? S.flow.name : "Service");
    frame.setAttribute("data-testid", "service-frame");
    // The service keeps its own origin (cookies, fetch to its backend) but may not navigate the
    // wallet itself (no allow-top-navigation).
    frame.setAttribute("sandbox", "allow-scripts allow-forms allow-same-origin allow-popups allow-modals allow-downloads");
    frame.setAttribute("allow", "");
    frame.setAttribute("referrerpolicy", "no-referrer");
    frame.addEventListener("load", function () { hello(frame.contentWindow, "*"); });
    frame.src = url;
    $("frame-box").appendChild(frame);
  }
  function removeFrame() { if (frame) { frame.remove(); frame = null; } }
  function hello(win, origin) {
    try { win.postMessage({seqr: "wallet", version: 1, type: "hello"}, origin); } catch (e) { /* gone */ }
  }

  function openService(r) {
    S.flow = {kind: "service", id: r.service.id, name: r.service.name, token: r.session.token,
              order: r.order_url, success: r.success_url, failure: r.failure_url, cancel: r.cancel_url,
              reference: null, outcome: null};
    $("service-name").textContent = r.service.name || r.service.id;
    $("service-banner").hidden = true;
    show("service");
    setFrame(r.order_url);   // already carries #TOKEN (U6)
  }

  function onMessage(ev) {
    if (!frame || ev.source !== frame.contentWindow) return;
    var m = ev.data;
    if (!m || m.seqr !== "bridge") return;
    if (m.type === "ready") { hello(ev.source, ev.origin); return; }
    if (m.type === "trigger") handleTrigger(String(m.url || ""));
  }

  function handleTrigger(url) {
    var flow = S.flow;
    if (!flow || flow.kind !== "service") return;
    url = url.trim();
    if (CANCEL_RE.test(url)) { leaveService("You left " + (flow.name || "the service") + "."); return; }
    var m = TRIGGER_RE.exec(url) || INVOICE_QR_RE.exec(url);
    var ref = m && m[m.length - 1];
    if (!ref) { console.warn("seqr bridge: not a trigger", url); return; }
    if (flow.outcome) return;  // already paid in this view
    flow.reference = ref;
    api("GET", "/invoices/" + encodeURIComponent(ref), undefined, true).then(showInvoice,
      function (err) { serviceOutcome("failure", null, err.message); });
  }

  function leaveService(text) {
    var flow = S.flow;
    if (flow && flow.token) api("POST", "/sessions/" + encodeURIComponent(flow.token) + "/cancel", {}, true).catch(function () {});
    S.flow = null; removeFrame(); loadHome();
    if (text) toast(text);
  }

  function serviceOutcome(outcome, inv, text, locked) {
    var flow = S.flow;
    var ref = (inv && inv.reference) || flow.reference;
    var target;
    if (outcome === "success") target = baseUrl(flow.success) + "#" + flow.token + "_" + ref;  // D-04
    else if (outcome === "cancel") target = baseUrl(flow.cancel) + "#" + flow.token;
    else target = baseUrl(flow.failure) + "#" + flow.token;
    flow.outcome = outcome;
    show("service");
    var banner = $("service-banner");
    banner.hidden = false;
    banner.className = "service-banner" + (outcome === "success" ? "" : " bad");
    $("service-banner-text").textContent = outcome === "success"
      ? (inv && inv.status === "RESERVED" ? "Amount reserved" : "Payment completed") + " · " + money(inv && inv.total)
      : outcome === "cancel" ? "Payment cancelled" : "Payment failed" + (text ? ": " + text : "");
    $("service-receipt").hidden = outcome !== "success";
    $("service-receipt").onclick = function () {
      openReceipt(ref); S.afterResult = function () { show("service"); };
      $("result-ok").textContent = "Back to " + (flow.name || "service");
    };
    setFrame(target);
    if (locked) later(function () { signOut("Your wallet is locked after too many wrong PINs."); }, 4000);
  }

  // ------------------------------------------------------------------ wiring
  function init() {
    $("signin-form").addEventListener("submit", function (ev) { ev.preventDefault(); startSignin($("signin-msisdn").value); });
    Array.prototype.forEach.call(document.querySelectorAll(".demo"), function (b) {
      b.addEventListener("click", function () { startSignin(b.getAttribute("data-msisdn"), b.getAttribute("data-name")); });
    });
    $("signout").addEventListener("click", function () { signOut(); });
    $("open-scan").addEventListener("click", function () { showError("scan-error", ""); show("scan"); });
    Array.prototype.forEach.call(document.querySelectorAll("[data-go=home]"), function (b) {
      b.addEventListener("click", backHome);
    });
    $("camera-start").addEventListener("click", startCamera);
    $("camera-stop").addEventListener("click", stopCamera);
    $("scan-file").addEventListener("change", onFile);
    $("paste-form").addEventListener("submit", function (ev) { ev.preventDefault(); openCode($("paste-code").value, "text"); });
    $("waiting-cancel").addEventListener("click", backHome);
    $("inv-confirm").addEventListener("click", confirmPayment);
    $("inv-cancel").addEventListener("click", customerCancel);
    $("inv-close").addEventListener("click", function () {
      if (S.flow && S.flow.kind === "service") serviceOutcome("failure", S.invoice, "This invoice cannot be paid.");
      else backHome();
    });
    $("keypad").addEventListener("click", function (ev) {
      var b = ev.target.closest("button"); if (b && !b.disabled) onKey(b.getAttribute("data-key"));
    });
    document.addEventListener("keydown", function (ev) {
      if (current !== "pin") return;
      if (/^[0-9]$/.test(ev.key)) onKey(ev.key);
      else if (ev.key === "Backspace") onKey("back");
      else if (ev.key === "Escape") onKey("cancel");
    });
    $("result-ok").addEventListener("click", function () {
      var next = S.afterResult || backHome; S.afterResult = null;
      $("result-ok").textContent = "OK"; next();
    });
    $("rc-refresh").addEventListener("click", function () {
      var ref = $("receipt").getAttribute("data-reference"); if (ref) renderReceipt(ref, false);
    });
    $("service-close").addEventListener("click", function () { leaveService(); });
    window.addEventListener("message", onMessage);

    var saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null"); } catch (e) { saved = null; }
    if (saved && saved.token) {
      S.token = saved.token; S.msisdn = saved.msisdn; S.name = saved.name;
      loadHome();
    } else show("signin");
    document.documentElement.setAttribute("data-ready", "1");
  }

  init();
})();
