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
