// Progressive enhancement of the document upload form: the same multipart POST, sent with
// XMLHttpRequest so the browser can show upload progress. Without JavaScript the plain form works.
(function () {
  'use strict';
  if (typeof window.FormData !== 'function' || typeof window.XMLHttpRequest !== 'function') return;

  function setup(form) {
    var progress = form.querySelector('[data-upload-progress]');
    var bar = form.querySelector('[data-upload-bar]');
    var status = form.querySelector('[data-upload-status]');
    var errorBox = form.querySelector('[data-upload-error]');
    var button = form.querySelector('button[type="submit"]');
    var busy = false;

    function chosenFiles() {
      var n = 0;
      var inputs = form.querySelectorAll('input[type="file"]');
      for (var i = 0; i < inputs.length; i++) n += inputs[i].files ? inputs[i].files.length : 0;
      return n;
    }
    function say(text) {
      if (status) status.textContent = text;
    }
    var marked = null;
    var besideBox = null;
    // A refusal about one input (a file, the date beside it) marks it and is read out with it, as
    // the page answering a plain form does (public/js/form-errors.js). It is also written beside that
    // input and brought into view: on a phone the box by the button sat screens below it (walk s35 #6).
    function mark(field, text) {
      if (marked) {
        marked.removeAttribute('aria-invalid');
        var gone = [errorBox && errorBox.id, besideBox && besideBox.id];
        var kept = (marked.getAttribute('aria-describedby') || '').split(' ').filter(function (id) { return id && gone.indexOf(id) < 0; });
        if (kept.length) marked.setAttribute('aria-describedby', kept.join(' '));
        else marked.removeAttribute('aria-describedby');
        var wrap = marked.closest('.field');
        if (wrap && marked.getAttribute('data-marked-invalid') === 'true') wrap.classList.remove('field-invalid');
        marked.removeAttribute('data-marked-invalid');
        marked = null;
      }
      if (besideBox) {
        besideBox.parentNode && besideBox.parentNode.removeChild(besideBox);
        besideBox = null;
      }
      if (!field) return;
      var escaped = window.CSS && CSS.escape ? CSS.escape(field) : field;
      var input = form.querySelector('[name="' + escaped + '"]');
      if (!input) return;
      input.setAttribute('aria-invalid', 'true');
      var field0 = input.closest('.field');
      if (field0 && !field0.classList.contains('field-invalid')) {
        field0.classList.add('field-invalid');
        input.setAttribute('data-marked-invalid', 'true');
      }
      // The same words beside the input (textContent: never markup); the box by the button keeps them
      // for whoever is looking there (and is the one announced, role=alert). The input reads out this one.
      var ids = (input.getAttribute('aria-describedby') || '').split(' ').filter(function (id) { return id; });
      if (text) {
        besideBox = document.createElement('p');
        besideBox.className = 'field-error';
        besideBox.id = (input.id || field) + '-upload-error';
        besideBox.setAttribute('data-upload-field-error', '');
        besideBox.textContent = text;
        input.insertAdjacentElement('afterend', besideBox);
        ids.push(besideBox.id);
      } else if (errorBox && errorBox.id) ids.push(errorBox.id);
      input.setAttribute('aria-describedby', ids.join(' '));
      marked = input;
      (besideBox || input).scrollIntoView({ block: 'center' });
    }
    function showError(text, field) {
      if (progress) progress.hidden = true;
      if (errorBox) {
        errorBox.textContent = text;
        errorBox.hidden = false;
        // Without a field to show it by, the box by the button is what is brought into view.
        if (!field) errorBox.scrollIntoView({ block: 'nearest' });
      }
      mark(field, text);
      if (button) button.disabled = false;
      busy = false;
    }

    // A file over its item's limit, or empty, is refused by the server only once every byte has
    // arrived (minutes of mobile data for a large scan): the browser says so when it is chosen and
    // does not send it. The limits are the server's own (data-max-bytes); the server still checks.
    // Every file refused is named at once, a name the allow-list lacks too (the input's accept
    // extensions): the server names one refusal per answer, and three wrong files took three tries (walk 33).
    function refusal() {
      var inputs = form.querySelectorAll('input[type="file"]');
      var texts = [];
      var field = null;
      for (var i = 0; i < inputs.length; i++) {
        var input = inputs[i];
        var max = Number(input.getAttribute('data-max-bytes')) || 0;
        var allowed = (input.getAttribute('accept') || '').split(',').filter(function (a) { return a.charAt(0) === '.'; });
        var files = input.files || [];
        for (var j = 0; j < files.length; j++) {
          var f = files[j];
          var dot = f.name.lastIndexOf('.');
          var ext = dot > 0 ? f.name.slice(dot).toLowerCase() : '';
          var text = null;
          if (f.size === 0 && form.dataset.msgEmpty) text = form.dataset.msgEmpty.replace('{name}', f.name);
          else if (allowed.length && !ext && form.dataset.msgNoExtension) text = form.dataset.msgNoExtension.replace('{name}', f.name);
          else if (allowed.length && ext && allowed.indexOf(ext) < 0 && form.dataset.msgBadExtension) text = form.dataset.msgBadExtension.replace('{name}', f.name);
          else if (max && f.size > max && input.dataset.msgTooLarge) text = input.dataset.msgTooLarge.replace('{name}', f.name);
          if (text) {
            texts.push(text);
            if (!field) field = input.name;
          }
        }
      }
      return texts.length ? { text: texts.join(' '), field: field } : null;
    }
    form.addEventListener('change', function (event) {
      if (!event.target || event.target.type !== 'file' || busy) return;
      var r = refusal();
      if (r) showError(r.text, r.field);
      else if (errorBox && marked) {
        errorBox.hidden = true;
        mark(null);
      }
    });

    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (busy) return;
      var refused = refusal();
      if (refused) {
        showError(refused.text, refused.field);
        return;
      }
      busy = true;
      if (errorBox) errorBox.hidden = true;
      mark(null);
      if (button) button.disabled = true;
      if (progress) progress.hidden = false;
      if (bar) bar.value = 0;
      say((form.dataset.msgUploading || '').replace('{percent}', '0'));

      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      xhr.setRequestHeader('Accept', 'application/json');
      // The page it opens next shows the confirmation (routes/documents.ts).
      xhr.setRequestHeader('X-Requested-With', 'upload-form');
      // The token in a header is checked before the server reads the body (server/http/csrf.ts).
      var token = form.querySelector('input[name="_csrf"]');
      if (token) xhr.setRequestHeader('X-CSRF-Token', token.value);
      xhr.upload.addEventListener('progress', function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.min(100, Math.round((e.loaded / e.total) * 100));
        if (bar) bar.value = pct;
        say((form.dataset.msgUploading || '').replace('{percent}', String(pct)));
      });
      xhr.addEventListener('load', function () {
        var body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch (e) {
          body = null;
        }
        if (xhr.status >= 200 && xhr.status < 300) {
          if (bar) bar.value = 100;
          say(form.dataset.msgDone || '');
          var next = body && typeof body.redirect === 'string' && body.redirect.charAt(0) === '/' && body.redirect.charAt(1) !== '/' ? body.redirect : window.location.pathname;
          // Same path with a new hash would not reload: go through the path itself.
          if (next.split('#')[0] === window.location.pathname) window.location.reload();
          else window.location.assign(next);
          return;
        }
        var error = body && body.error;
        var message = (error && error.message) || form.dataset.msgFailed || '';
        // Several files chosen: one refused takes the others down too. A refusal the server could name
        // them in (error.notSaved) says so already; one that stopped the upload midway (a disguised or
        // oversized file) cannot, so the page says it, as the plain form's answer does.
        if (error && !error.notSaved && chosenFiles() > 1 && form.dataset.msgNothingKept) message += ' ' + form.dataset.msgNothingKept;
        showError(message, error && typeof error.field === 'string' ? error.field : null);
      });
      xhr.addEventListener('error', function () {
        showError(form.dataset.msgFailed || '');
      });
      xhr.addEventListener('abort', function () {
        showError(form.dataset.msgFailed || '');
      });
      xhr.send(new FormData(form));
    });
  }

  var forms = document.querySelectorAll('form[data-upload-form]');
  for (var i = 0; i < forms.length; i++) setup(forms[i]);
})();
