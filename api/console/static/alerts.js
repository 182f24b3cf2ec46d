// The live alert inbox. It listens to the API's alert stream (/alerts/stream, signed by the session
// cookie) and, on each new or changed alert, asks the console for the inbox's rows again with the page's
// own filters (/console/alerts/rows): the rows shown are always the server's search, never a second
// filter written here. New rows are marked and announced politely; rows that did not change stay as they
// are, so a button with the keyboard's focus keeps it. Without this script the page works by reloading.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var news = document.getElementById("live-news");
  if (!live || !news || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var WAIT_MS = 250; // several changes at once (a crawl cycle) make one request
  var timer = null;
  var loading = false;
  var again = false;
  var source = null;

  function say(text, connected) {
    live.hidden = false;
    live.textContent = text;
    live.classList.toggle("off", !connected);
  }

  function shownIds() {
    var seen = {};
    document.querySelectorAll("#alert-results tr[data-alert]").forEach(function (row) {
      seen[row.getAttribute("data-alert")] = true;
    });
    return seen;
  }

  function swapRows(oldBody, newBody, before) {
    var rows = Array.prototype.slice.call(newBody.children);
    var added = 0;
    rows.forEach(function (row, index) {
      var id = row.getAttribute("data-alert");
      var current = document.getElementById("alert-" + id);
      var node = row;
      if (current && current.getAttribute("data-seq") === row.getAttribute("data-seq")) {
        node = current; // unchanged: keep it (and the focus inside it)
      } else if (current) {
        current.replaceWith(row);
      } else if (!before[id]) {
        row.classList.add("fresh");
        added += 1;
      }
      if (oldBody.children[index] !== node) {
        oldBody.insertBefore(node, oldBody.children[index] || null);
      }
    });
    while (oldBody.children.length > rows.length) {
      oldBody.removeChild(oldBody.lastElementChild);
    }
    return added;
  }

  function merge(fresh) {
    var results = document.getElementById("alert-results");
    var before = shownIds();
    var oldBody = document.getElementById("alert-rows");
    var newBody = fresh.querySelector("#alert-rows");
    var added = 0;
    if (oldBody && newBody) {
      added = swapRows(oldBody, newBody, before);
      document.getElementById("alert-count").replaceWith(fresh.querySelector("#alert-count"));
      var oldPager = results.querySelector("nav.pager");
      var newPager = fresh.querySelector("nav.pager");
      if (oldPager) {
        oldPager.remove();
      }
      if (newPager) {
        results.appendChild(newPager);
      }
    } else {
      // The list appeared (or emptied): take the whole region.
      fresh.querySelectorAll("tr[data-alert]").forEach(function (row) {
        if (!before[row.getAttribute("data-alert")]) {
          row.classList.add("fresh");
          added += 1;
        }
      });
      results.replaceWith(fresh);
    }
    if (added > 0) {
      news.textContent = added + " cảnh báo mới";
    }
  }

  function refresh() {
    timer = null;
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    fetch(live.getAttribute("data-rows"), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok || response.redirected) {
          throw new Error("status " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("alert-results");
        if (fresh) {
          merge(document.adoptNode(fresh));
        }
      })
      .catch(function () {
        say("Không tải được cảnh báo mới (có thể phiên đăng nhập đã hết). Hãy tải lại trang.", false);
        if (source) {
          source.close();
        }
      })
      .then(function () {
        loading = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  function schedule() {
    if (timer === null) {
      timer = window.setTimeout(refresh, WAIT_MS);
    }
  }

  var url = live.getAttribute("data-stream") + "?last_event_id=" + encodeURIComponent(live.getAttribute("data-after"));
  if (live.getAttribute("data-silenced")) {
    url += "&include_silenced=true";
  }
  source = new EventSource(url);
  say("Đang kết nối trực tiếp…", false);
  source.addEventListener("open", function () {
    say("● Trực tiếp: cảnh báo mới tự hiện", true);
  });
  source.addEventListener("alert", schedule);
  source.addEventListener("end", function () {
    source.close();
    say("Luồng trực tiếp đã dừng. Hãy tải lại trang để xem cảnh báo mới.", false);
  });
  source.addEventListener("error", function () {
    if (source.readyState === EventSource.CLOSED) {
      say("Mất kết nối trực tiếp. Hãy tải lại trang để xem cảnh báo mới.", false);
    } else {
      say("Mất kết nối, đang thử lại…", false);
    }
  });
})();
