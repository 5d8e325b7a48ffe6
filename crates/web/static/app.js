// Postern's only script. Every page works without it; it adds Copy buttons, tidier menus,
// in-place tabs and selects that apply themselves.
(function () {
  'use strict';
  document.documentElement.classList.add('js');

  // Menus (<details class="menu">): one open at a time, closed by a click elsewhere or
  // Escape, arrow keys move between items.
  var menus = Array.prototype.slice.call(document.querySelectorAll('details.menu'));
  function items(menu) {
    return Array.prototype.slice.call(menu.querySelectorAll('.menu-item'));
  }
  menus.forEach(function (menu) {
    menu.addEventListener('toggle', function () {
      if (!menu.open) return;
      menus.forEach(function (other) {
        if (other !== menu) other.open = false;
      });
    });
    menu.addEventListener('keydown', function (e) {
      var list = items(menu);
      var at = list.indexOf(document.activeElement);
      if (e.key === 'Escape' && menu.open) {
        menu.open = false;
        menu.querySelector('summary').focus();
        e.preventDefault();
      } else if (e.key === 'ArrowDown' && list.length) {
        if (!menu.open) menu.open = true;
        list[(at + 1) % list.length].focus();
        e.preventDefault();
      } else if (e.key === 'ArrowUp' && list.length) {
        if (!menu.open) menu.open = true;
        list[(at - 1 + list.length) % list.length].focus();
        e.preventDefault();
      }
    });
  });
  document.addEventListener('click', function (e) {
    menus.forEach(function (menu) {
      if (menu.open && !menu.contains(e.target)) menu.open = false;
    });
  });

  // Copy buttons: shown only where copying can work.
  Array.prototype.forEach.call(document.querySelectorAll('[data-copy]'), function (button) {
    var target = document.getElementById(button.getAttribute('data-copy'));
    if (!target) return;
    button.hidden = false;
    function done(text) {
      button.textContent = text;
      window.setTimeout(function () { button.textContent = 'Copy'; }, 2500);
    }
    function selectTarget() {
      var range = document.createRange();
      range.selectNodeContents(target);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    button.addEventListener('click', function () {
      var text = target.textContent.trim();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done('Copied'); }, function () {
          selectTarget();
          done('Press Ctrl+C to copy');
        });
      } else {
        selectTarget();
        var ok = false;
        try { ok = document.execCommand('copy'); } catch (err) { ok = false; }
        done(ok ? 'Copied' : 'Press Ctrl+C to copy');
      }
    });
  });

  // Tabs: switch in place instead of reloading the page.
  Array.prototype.forEach.call(document.querySelectorAll('[data-tabs]'), function (list) {
    var tabs = Array.prototype.slice.call(list.querySelectorAll('.tab'));
    var form = list.closest('form');
    var current = form ? form.querySelector('[data-current-tab]') : null;
    list.setAttribute('role', 'tablist');
    function panel(tab) {
      return document.getElementById(tab.getAttribute('aria-controls'));
    }
    function select(tab, focus) {
      tabs.forEach(function (t) {
        var on = t === tab;
        t.setAttribute('aria-selected', on ? 'true' : 'false');
        t.tabIndex = on ? 0 : -1;
        var p = panel(t);
        if (p) p.hidden = !on;
      });
      if (current) current.value = tab.value;
      if (focus) tab.focus();
    }
    tabs.forEach(function (tab, i) {
      tab.type = 'button';
      tab.setAttribute('role', 'tab');
      tab.removeAttribute('aria-pressed');
      var p = panel(tab);
      if (p) p.setAttribute('role', 'tabpanel');
      tab.addEventListener('click', function () { select(tab, false); });
      tab.addEventListener('keydown', function (e) {
        var next = null;
        if (e.key === 'ArrowRight') next = tabs[(i + 1) % tabs.length];
        if (e.key === 'ArrowLeft') next = tabs[(i - 1 + tabs.length) % tabs.length];
        if (e.key === 'Home') next = tabs[0];
        if (e.key === 'End') next = tabs[tabs.length - 1];
        if (next) {
          select(next, true);
          e.preventDefault();
        }
      });
    });
    var selected = tabs.filter(function (t) {
      var p = panel(t);
      return p && !p.hidden;
    })[0] || tabs[0];
    if (selected) select(selected, false);
  });

  // Selects that apply themselves (their form's submit button is for pages without script).
  Array.prototype.forEach.call(document.querySelectorAll('select[data-submit-on-change]'), function (select) {
    select.addEventListener('change', function () {
      if (select.form) select.form.submit();
    });
  });

  // The description is only for a new device.
  Array.prototype.forEach.call(document.querySelectorAll('select[data-new-device-toggle]'), function (select) {
    var only = select.form ? select.form.querySelectorAll('[data-new-device-only]') : [];
    function apply() {
      Array.prototype.forEach.call(only, function (el) { el.hidden = select.value !== 'new'; });
    }
    select.addEventListener('change', apply);
    apply();
  });
})();
