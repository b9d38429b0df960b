// Calendar feed settings: a copy button beside the feed URL (the URL stays selectable without it).
(function () {
  var button = document.querySelector('[data-copy-feed]');
  var input = document.querySelector('[data-feed-url]');
  var status = document.querySelector('[data-copy-status]');
  if (!button || !input || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener('click', function () {
    navigator.clipboard.writeText(input.value).then(function () {
      if (status) status.textContent = button.getAttribute('data-msg-copied') || '';
    });
  });
})();
