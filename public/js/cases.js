// Progressive enhancement for the HR queue: a "select all" box for bulk assignment. Without
// JavaScript each row's checkbox still works on its own.
(function () {
  'use strict';
  var form = document.getElementById('bulk-assign');
  if (!form) return;
  var boxes = form.querySelectorAll('input[type="checkbox"][name="ids"]');
  if (!boxes.length) return;
  var firstHead = form.querySelector('thead th');
  if (!firstHead) return;
  var all = document.createElement('input');
  all.type = 'checkbox';
  all.id = 'select-all';
  all.setAttribute('aria-label', form.getAttribute('data-select-all') || 'Select all');
  firstHead.textContent = '';
  firstHead.appendChild(all);
  function sync() {
    var checked = 0;
    boxes.forEach(function (b) { if (b.checked) checked += 1; });
    all.checked = checked === boxes.length;
    all.indeterminate = checked > 0 && checked < boxes.length;
  }
  all.addEventListener('change', function () {
    boxes.forEach(function (b) { b.checked = all.checked; });
    sync();
  });
  boxes.forEach(function (b) { b.addEventListener('change', sync); });
  sync();
})();
