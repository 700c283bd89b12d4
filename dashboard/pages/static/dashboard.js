// Small page helpers; no framework, nothing fetched from outside this server, no inline script (see the CSP).
(function () {
  // Charts: each spec is a JSON data block the page carries; plotly draws it into its element.
  var specs = document.querySelectorAll("script.chart-spec");
  Array.prototype.forEach.call(specs, function (node) {
    var spec = JSON.parse(node.textContent);
    Plotly.newPlot(node.getAttribute("data-element"), spec.data, spec.layout,
                   {responsive: true, displaylogo: false});
  });

  // The store switch: a choice opens that store's overview.
  var pick = document.querySelector("form.switch select");
  if (pick) {
    pick.addEventListener("change", function () {
      location.href = "/stores/" + encodeURIComponent(pick.value);
    });
  }

  // Login links carry the token after '#', which browsers never send to the server (so it stays out of logs).
  var form = document.getElementById("login-form");
  if (form && location.hash.indexOf("#token=") === 0) {
    form.token.value = decodeURIComponent(location.hash.slice(7));
    history.replaceState(null, "", location.pathname + location.search);
    form.submit();
  }

  // "Dwelling now" refreshes every 5 s from the API (the login cookie authorises it).
  var list = document.getElementById("dwelling-now");
  var names = list ? JSON.parse(list.getAttribute("data-names") || "{}") : {};  // zone id -> display name
  function named(id) { return Object.prototype.hasOwnProperty.call(names, id) ? names[id] : id; }
  if (!list) { return; }
  var store = list.getAttribute("data-store");
  function render(items) {
    list.textContent = "";
    if (!items.length) {
      var empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = "Nobody is dwelling right now.";
      list.appendChild(empty);
      return;
    }
    items.forEach(function (item) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = "/stores/" + encodeURIComponent(store) + "/shoppers/" + encodeURIComponent(item.shopper_id);
      link.textContent = item.shopper_id;
      li.appendChild(link);
      var where = named(item.zone_id) + (item.shelf_id ? " (" + named(item.shelf_id) + ")" : "");
      li.appendChild(document.createTextNode(" at " + where + " for " + Math.round(item.dwell_so_far_s) + " s"));
      list.appendChild(li);
    });
  }
  setInterval(function () {
    fetch("/api/v1/stores/" + encodeURIComponent(store) + "/dwelling-now", {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (items) { if (items) { render(items); } })
      .catch(function () {});
  }, 5000);
})();
