// evlock console: swap in each page's new content from the server's event stream.
"use strict";
(function () {
  var main = document.getElementById("content");
  var live = document.getElementById("live");
  if (!main || !window.EventSource) return;
  var source = new EventSource("/events?page=" + encodeURIComponent(main.dataset.page));
  source.addEventListener("update", function (event) {
    main.innerHTML = event.data; // rendered and escaped by the server
  });
  source.onopen = function () { live.textContent = "live"; live.className = "live on"; };
  source.onerror = function () { live.textContent = "reconnecting…"; live.className = "live off"; };
})();
