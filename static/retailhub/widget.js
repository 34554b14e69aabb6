/*
 * RetailHub recommendation widget. One tag on the storefront:
 *
 *   <script src="https://backoffice.example.com/static/retailhub/widget.js"
 *           data-api="https://backoffice.example.com/api/widget/v1/" async></script>
 *
 * and a container per list:
 *
 *   <div data-retailhub-widget="for-you" data-token="SIGNED-BY-YOUR-SERVER"></div>
 *   <div data-retailhub-widget="also-bought" data-product="85123A"></div>
 *   <div data-retailhub-widget="trending" data-limit="6"></div>
 *
 * No dependencies. Text is set with textContent, never parsed as HTML, so a product name
 * cannot inject markup. Impressions and clicks go back through navigator.sendBeacon, each
 * with the signed impression id of the list it happened on (the server counts nothing else).
 */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector('script[src*="retailhub/widget.js"]');
  var api = (script && script.getAttribute("data-api")) || "/api/widget/v1/";
  var LISTS = { "for-you": "for_you", "also-bought": "also_bought", "trending": "trending" };

  function session() {
    // A random id for this visit, so clicks can lift related products on the next list.
    var key = "retailhub-session";
    try {
      var id = window.sessionStorage.getItem(key);
      if (!id) {
        id = Math.random().toString(36).slice(2) + Date.now().toString(36);
        window.sessionStorage.setItem(key, id);
      }
      return id;
    } catch (e) {
      return "";
    }
  }

  function clicked() {
    try {
      return JSON.parse(window.sessionStorage.getItem("retailhub-clicked") || "[]");
    } catch (e) {
      return [];
    }
  }

  function remember(sku) {
    // The latest three products clicked in this visit, newest first: they lift related
    // products in the next "for you" list.
    var skus = [sku].concat(clicked().filter(function (s) { return s !== sku; })).slice(0, 3);
    try { window.sessionStorage.setItem("retailhub-clicked", JSON.stringify(skus)); } catch (e) {}
  }

  function send(events) {
    var body = JSON.stringify({ session: session(), events: events });
    var url = api + "events";
    // text/plain keeps the beacon a "simple" cross-origin request (no preflight).
    if (navigator.sendBeacon && navigator.sendBeacon(url, new Blob([body], { type: "text/plain" }))) {
      return;
    }
    fetch(url, { method: "POST", body: body, keepalive: true, mode: "cors" }).catch(function () {});
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function safeUrl(url) {
    // Only http(s) or same-site paths: never a javascript: URL.
    return /^(https?:\/\/|\/)/i.test(url || "") ? url : "#";
  }

  function render(container, data) {
    var items = data.items || [];
    container.textContent = "";
    if (!items.length) return;
    var row = element("div", "rh-cards");
    items.forEach(function (item) {
      var link = element("a", "rh-card");
      link.href = safeUrl(item.url);
      link.setAttribute("data-sku", item.sku);
      if (item.image) {
        var image = element("img", "rh-image");
        image.src = safeUrl(item.image);
        image.alt = item.name;
        image.loading = "lazy";
        link.appendChild(image);
      }
      link.appendChild(element("span", "rh-name", item.name));
      link.appendChild(element("span", "rh-price", item.currency + " " + item.price));
      if (item.reason) link.appendChild(element("span", "rh-reason", item.reason));
      link.addEventListener("click", function () {
        remember(item.sku);
        send([{ type: "click", sku: item.sku, impression: data.impression }]);
      });
      row.appendChild(link);
    });
    container.appendChild(row);
    send(items.map(function (item) {
      return { type: "impression", sku: item.sku, impression: data.impression };
    }));
  }

  function load(container) {
    var kind = container.getAttribute("data-retailhub-widget");
    if (!LISTS[kind]) return;
    var params = new URLSearchParams({ limit: container.getAttribute("data-limit") || "8" });
    if (kind === "also-bought") params.set("product", container.getAttribute("data-product") || "");
    if (kind === "for-you") {
      if (container.getAttribute("data-token")) params.set("token", container.getAttribute("data-token"));
      if (clicked().length) params.set("clicked", clicked().join(","));
    }
    container.setAttribute("aria-busy", "true");
    fetch(api + kind + "?" + params.toString(), { mode: "cors", credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : { items: [] }; })
      .then(function (data) { render(container, data); })
      .catch(function () { container.textContent = ""; })
      .then(function () { container.removeAttribute("aria-busy"); container.setAttribute("data-loaded", "true"); });
  }

  function style() {
    if (document.getElementById("retailhub-widget-style")) return;
    var css = element("style");
    css.id = "retailhub-widget-style";
    css.textContent =
      ".rh-cards{display:flex;gap:12px;overflow-x:auto;padding:4px 0}" +
      ".rh-card{flex:0 0 150px;display:flex;flex-direction:column;gap:4px;padding:10px;border:1px solid #e3e0da;" +
      "border-radius:8px;text-decoration:none;color:inherit;font:14px/1.3 system-ui,sans-serif}" +
      ".rh-image{width:100%;aspect-ratio:1;object-fit:cover;border-radius:4px}" +
      ".rh-name{font-weight:600}.rh-price{color:#555}.rh-reason{color:#8a7;font-size:12px}";
    document.head.appendChild(css);
  }

  function start() {
    style();
    Array.prototype.forEach.call(document.querySelectorAll("[data-retailhub-widget]"), load);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
