// The message after a save (views/partials/flash.hbs) stays in view as the page scrolls (an error on
// every screen, "Saved." above 640 px): its close button puts it away once read. The focus, on the
// button, goes to the page's content so the keyboard carries on from there.
(function () {
  var flash = document.getElementById('flash');
  var close = flash && flash.querySelector('[data-flash-close]');
  if (!close) return;
  close.hidden = false;
  close.addEventListener('click', function () {
    flash.parentNode.removeChild(flash);
    var main = document.getElementById('main');
    if (main) main.focus({ preventScroll: true });
  });
})();
