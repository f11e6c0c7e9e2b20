// The live change feed: poll the server with the feed's position and put new changes on top.
// The server renders (and escapes) each item; this script only places them.
(function () {
  "use strict";
  var feed = document.querySelector("[data-feed]");
  if (!feed) return;
  var after = feed.getAttribute("data-after");
  var url = feed.getAttribute("data-poll");
  var max = Number(feed.getAttribute("data-max")) || 50;
  var status = document.querySelector("[data-feed-status]");
  var every = 2000;

  function show(text, offline) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("offline", offline);
  }

  function place(items) {
    var empty = document.querySelector("[data-feed-empty]");
    if (items.length && empty) empty.remove();
    for (var i = items.length - 1; i >= 0; i--) {
      feed.insertAdjacentHTML("afterbegin", items[i]);
      feed.firstElementChild.classList.add("fresh");
      markStale(feed.firstElementChild.getAttribute("data-key"));
    }
    while (feed.children.length > max) feed.lastElementChild.remove();
  }

  // The ledger table was rendered with the page: flag the rows a new change makes outdated.
  function markStale(key) {
    var notice = document.querySelector("[data-ledger-stale]");
    if (!notice) return;
    var row = document.querySelector('tr[data-key="' + CSS.escape(key) + '"]');
    if (row) row.classList.add("changed");
    notice.hidden = false;
  }

  function poll() {
    if (document.hidden) return later(every);
    fetch(url + "?after=" + encodeURIComponent(after), { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (body) {
        after = body.after;
        place(body.items);
        show("live", false);
        later(every);
      })
      .catch(function () {
        show("offline, retrying", true);
        later(every * 3);
      });
  }

  function later(ms) {
    window.setTimeout(poll, ms);
  }

  later(every);
})();
