// Crosswalk web UI: progressive enhancement of the search page. Without this script every
// page works as plain HTML; with it, results follow typing (debounced: the same server-
// rendered page is fetched and its results swapped in, the URL kept in step), and the keyboard
// moves through results: "/" focuses the box, ArrowDown/ArrowUp (or j/k) move between
// results, Enter opens one, Escape returns to the box.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("search-form");
  var box = document.getElementById("q");
  if (!form || !box) return;

  var timer = null;
  var pending = null;
  var last = box.value;

  function urlOf() {
    var params = new URLSearchParams(new FormData(form));
    // Empty values stay out of the URL, as the server writes its own links.
    var clean = new URLSearchParams();
    params.forEach(function (v, k) { if (v !== "") clean.append(k, v); });
    var query = clean.toString();
    return "/search" + (query ? "?" + query : "");
  }

  function swap(url) {
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(url, { signal: pending.signal, headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("results");
        var current = document.getElementById("results");
        if (fresh && current) {
          current.replaceWith(fresh);
          document.title = doc.title;
          history.replaceState(null, "", url);
        }
      })
      .catch(function () { /* a failed or aborted fetch leaves the page as it was */ });
  }

  box.addEventListener("input", function () {
    if (box.value === last) return;
    last = box.value;
    clearTimeout(timer);
    timer = setTimeout(function () { swap(urlOf()); }, 250);
  });

  function results() {
    return Array.prototype.slice.call(document.querySelectorAll("#results .hit-title a"));
  }

  function focusResult(i) {
    var links = results();
    if (!links.length) return;
    i = Math.max(0, Math.min(links.length - 1, i));
    links.forEach(function (a) { a.closest(".hit").classList.remove("active"); });
    links[i].closest(".hit").classList.add("active");
    links[i].focus();
  }

  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var target = e.target;
    var typing = target === box || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
    var links = results();
    var at = links.indexOf(target);
    if (e.key === "/" && !typing) {
      e.preventDefault();
      box.focus();
      box.select();
    } else if (target === box && e.key === "ArrowDown" && links.length) {
      e.preventDefault();
      focusResult(0);
    } else if (at >= 0 && (e.key === "ArrowDown" || e.key === "j")) {
      e.preventDefault();
      focusResult(at + 1);
    } else if (at >= 0 && (e.key === "ArrowUp" || e.key === "k")) {
      e.preventDefault();
      if (at === 0) box.focus(); else focusResult(at - 1);
    } else if (at >= 0 && e.key === "Escape") {
      box.focus();
    }
  });
})();
