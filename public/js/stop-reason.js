// The procedure page (views/procedures/edit.hbs): stopping a procedure under way ("Not needed")
// needs a reason for the applicant (server/procedures/service.ts). The hint beside the status says so
// without this script; with it, the message field is marked required, as the field partial marks
// one (views/partials/field.hbs), while "Not needed" is chosen. Only on pages where the hint is shown.
(function () {
  'use strict';
  var hint = document.querySelector('[data-stop-needs-reason]');
  var status = document.getElementById('f-status');
  var message = document.getElementById('f-message');
  var label = document.querySelector('label[for="f-message"]');
  if (!hint || !status || !message || !label) return;
  function update() {
    var stopping = status.value === 'not_needed';
    message.required = stopping;
    if (stopping) message.setAttribute('aria-required', 'true');
    else message.removeAttribute('aria-required');
    var mark = label.querySelector('.req');
    if (stopping && !mark) {
      mark = document.createElement('span');
      mark.className = 'req';
      mark.setAttribute('aria-hidden', 'true');
      mark.textContent = '*';
      label.appendChild(document.createTextNode(' '));
      label.appendChild(mark);
    } else if (!stopping && mark) {
      if (mark.previousSibling && mark.previousSibling.nodeType === 3 && mark.previousSibling.nodeValue === ' ') label.removeChild(mark.previousSibling);
      label.removeChild(mark);
    }
  }
  status.addEventListener('change', update);
  update();
})();
