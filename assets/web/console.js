// The SPARQL console: YASGUI (assets/yasgui/, MIT) against this server's /sparql, one tab per
// opened example. Nothing is fetched from elsewhere: the autocompleters that ask remote
// services (LOV classes and properties) are off, prefixes come from the query. The download
// links under the editor follow the current query in every result format.
(function () {
  "use strict";
  var el = document.getElementById("yasgui");
  if (!el || !window.Yasgui) return;
  document.documentElement.classList.add("js");
  var examples = [];
  try { examples = JSON.parse(document.getElementById("examples-data").textContent); } catch (e) { examples = []; }
  var initial = document.getElementById("query").value;
  var endpoint = new URL(el.getAttribute("data-endpoint"), window.location.href).href;

  Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"];
  // Tab leaves the editor (CodeMirror would indent), so the keyboard is never trapped in it;
  // indent with the editor's own Ctrl-] / Ctrl-[.
  Yasgui.Yasqe.defaults.extraKeys = Object.assign({}, Yasgui.Yasqe.defaults.extraKeys, {
    Tab: false,
    "Shift-Tab": false,
  });
  var yasgui = new Yasgui(el, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    persistenceId: null,
    yasqe: { value: initial }
  });

  function downloads(query) {
    var links = document.querySelectorAll("#downloads a[data-format]");
    Array.prototype.forEach.call(links, function (a) {
      var params = new URLSearchParams({ query: query, format: a.getAttribute("data-format") });
      a.href = "/sparql?" + params.toString();
    });
  }

  function current() { return yasgui.getTab(); }

  function open(example) {
    var tab = yasgui.addTab(true, { name: example.title });
    tab.setQuery(example.text);
    downloads(example.text);
    tab.getYasqe().on("change", function (y) { downloads(y.getValue()); });
  }

  // YASGUI's markup leaves a few controls unnamed and CodeMirror's scroller out of the tab
  // order; name them and let the keyboard reach it, whenever YASGUI renders.
    function label(selector, text) {
      document.querySelectorAll(selector).forEach(function (el) {
        if (!el.hasAttribute("aria-label")) el.setAttribute("aria-label", text);
      });
    }
    function fix() {
      label("#yasgui .autocompleteWrapper input", "SPARQL endpoint");
      label("#yasgui .CodeMirror textarea", "SPARQL query");
      label("#yasgui select.tableSizer", "Rows per page");
      label("#yasgui .tabsList input[type=text]", "Tab name");
      document.querySelectorAll("#yasgui .CodeMirror-scroll").forEach(function (el) {
        if (el.getAttribute("tabindex") !== "0") el.setAttribute("tabindex", "0");
      });
    }
    fix();
    new MutationObserver(fix).observe(document.getElementById("yasgui"), { childList: true, subtree: true });

  var tab = current();
  if (tab) {
    tab.setQuery(initial);
    downloads(initial);
    tab.getYasqe().on("change", function (y) { downloads(y.getValue()); });
  }
  yasgui.on("tabSelect", function (_y, id) {
    setTimeout(function () { var t = yasgui.getTab(id); if (t) downloads(t.getQuery()); }, 0);
  });

  Array.prototype.forEach.call(document.querySelectorAll(".examples a[data-example]"), function (a) {
    a.addEventListener("click", function (e) {
      var name = a.getAttribute("data-example");
      var example = examples.filter(function (x) { return x.name === name; })[0];
      if (!example) return;
      e.preventDefault();
      open(example);
      history.replaceState(null, "", a.href);
    });
  });
})();
