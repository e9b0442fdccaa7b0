// Progressive enhancement only: every page works without this file.
// Warns before leaving a form with unsaved changes (the original silently lost them), both on a
// real page unload and on an htmx-boosted navigation, and keeps the CONTROL/MONITORING auto-update
// checkbox and rate in step with the polling region.
(function () {
  'use strict';
  var dirty = null; // the form with unsaved changes, if any
  var MESSAGE = 'This panel has changes that are not saved. Leave without saving?';

  function track(event) {
    var form = event.target && event.target.closest ? event.target.closest('form[data-dirty-check]') : null;
    if (form) dirty = form;
  }
  document.addEventListener('input', track, true);
  document.addEventListener('change', track, true);
  document.addEventListener('submit', function (event) {
    if (event.target === dirty) dirty = null;
  }, true);

  window.addEventListener('beforeunload', function (event) {
    if (dirty && document.body.contains(dirty)) {
      event.preventDefault();
      event.returnValue = MESSAGE;
      return MESSAGE;
    }
  });

  // htmx: a boosted link or another form replacing the page while this form is dirty.
  document.addEventListener('htmx:confirm', function (event) {
    if (!dirty || !document.body.contains(dirty)) return;
    var elt = event.detail && event.detail.elt;
    if (!elt || dirty.contains(elt)) return; // submitting or validating the dirty form itself
    var verb = event.detail.verb;
    if (elt.tagName === 'A' || (elt.tagName === 'FORM' && verb)) {
      event.preventDefault();
      if (window.confirm(MESSAGE)) {
        dirty = null;
        event.detail.issueRequest(true);
      }
    }
  });
  document.addEventListener('htmx:afterSettle', function () {
    if (dirty && !document.body.contains(dirty)) dirty = null;
  });
})();

// The time left of a change waiting for confirmation, counted down every second; the banner itself
// is refreshed by htmx (and disappears once the change is confirmed or rolled back).
(function () {
  'use strict';
  function describe(s) {
    if (s < 60) return s + ' s';
    return Math.floor(s / 60) + ' min' + (s % 60 ? ' ' + (s % 60) + ' s' : '');
  }
  setInterval(function () {
    var banner = document.querySelector('.pending-confirmation[data-deadline]');
    if (!banner) return;
    var left = Math.ceil((Date.parse(banner.getAttribute('data-deadline')) - Date.now()) / 1000);
    var out = banner.querySelector('.time-left');
    if (out) out.textContent = left > 0 ? describe(left) : 'no time';
  }, 1000);
})();
