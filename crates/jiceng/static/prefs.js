// Applied before the page is drawn (loaded without defer): the large-font preference.
if (localStorage.getItem("jiceng-large") === "1") {
  document.documentElement.classList.add("large");
}
