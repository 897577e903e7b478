// Large-font, high-contrast mode (适老化), remembered by the browser.
(function () {
  var root = document.documentElement;
  var button = document.getElementById("large-toggle");
  function show() {
    var on = root.classList.contains("large");
    if (button) {
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? "标准字号" : "大字模式";
    }
  }
  if (button) {
    button.addEventListener("click", function () {
      var on = root.classList.toggle("large");
      try { localStorage.setItem("jiceng-large", on ? "1" : "0"); } catch (e) {}
      show();
    });
  }
  show();
  // Locate page: fill in the browser's position.
  var use = document.getElementById("use-position");
  if (use && navigator.geolocation) {
    use.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (p) {
        var f = document.getElementById("locate-form");
        f.lat.value = p.coords.latitude.toFixed(6);
        f.lon.value = p.coords.longitude.toFixed(6);
        f.submit();
      }, function () { alert("无法获取当前位置，请手动输入经纬度"); });
    });
  } else if (use) {
    use.hidden = true;
  }
})();
