// The map: circle markers (drawn as SVG, no image needed) for every located child, coloured by status, and the
// desa placed from their children's homes.
// Tiles come from the configured server; when they cannot load, the markers are still drawn and fitted.
(function () {
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var points = JSON.parse(document.getElementById("map-points").textContent || "[]");
  var colours = {back_in_school: "#15803d", monitored: "#15803d", dropped_out_again: "#b45309", not_valid: "#6b7280",
                 graduated: "#1d4ed8"};
  var map = L.map(el, {preferCanvas: false}).setView([-7.0, 109.6], 10);
  L.tileLayer(el.dataset.tiles, {maxZoom: 18, attribution: el.dataset.attribution}).addTo(map);
  var bounds = [];
  points.forEach(function (p) {
    var marker = L.circleMarker([p.lat, p.lon], {radius: 7, weight: 2, color: "#fff", fillOpacity: 0.9,
                                                 fillColor: colours[p.status] || "#dc2626", className: "child-marker"});
    var link = document.createElement("a");
    link.href = "/kasus/" + encodeURIComponent(p.ref);
    link.textContent = p.ref + " · " + p.label;
    marker.bindPopup(link).addTo(map);
    bounds.push([p.lat, p.lon]);
  });
  // Desa: a square at the mean GPS of its children's homes, with the desa's cases by status.
  JSON.parse(document.getElementById("map-villages").textContent || "[]").forEach(function (v) {
    var marker = L.marker([v.lat, v.lon], {icon: L.divIcon({className: "desa-marker", html: String(v.total), iconSize: [26, 26]}),
                                          title: v.name, keyboard: true});
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = "/ringkasan?wilayah=" + encodeURIComponent(v.code);
    link.textContent = v.name;
    box.appendChild(link);
    box.appendChild(document.createTextNode(" · " + v.statuses.join(", ")));
    marker.bindPopup(box).addTo(map);
    bounds.push([v.lat, v.lon]);
  });
  if (bounds.length) { map.fitBounds(bounds, {padding: [30, 30], maxZoom: 14}); }
})();
