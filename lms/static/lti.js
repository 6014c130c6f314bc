// Kompetanseportalen inside an LMS: LTI platform storage (lti.put_data / lti.get_data over postMessage),
// forms that post themselves (a deep-linking answer), and telling the platform a registration is done.
(function () {
  "use strict";
  var WAIT_MS = 3000;

  function storageFrame(name) {
    var parent = window.opener || window.parent;
    try {
      if (name && name !== "_parent" && parent.frames[name]) { return parent.frames[name]; }
    } catch (e) { /* another origin's frames cannot be listed: use the parent */ }
    return parent;
  }

  function ask(frame, origin, message) {
    return new Promise(function (resolve) {
      var done = false;
      function listen(event) {
        var data = event.data || {};
        if (event.origin !== origin || data.message_id !== message.message_id) { return; }
        done = true;
        window.removeEventListener("message", listen);
        resolve(data.error ? null : data);
      }
      window.addEventListener("message", listen);
      frame.postMessage(message, origin);
      setTimeout(function () { if (!done) { window.removeEventListener("message", listen); resolve(null); } }, WAIT_MS);
    });
  }

  function platformStorage(el) {
    var origin = el.getAttribute("data-origin");
    var frame = storageFrame(el.getAttribute("data-target"));
    var key = "kp_state_" + el.getAttribute("data-state");
    var id = "kp-" + Math.random().toString(36).slice(2);
    if (el.getAttribute("data-action") === "put") {
      ask(frame, origin, { subject: "lti.put_data", message_id: id, key: key, value: el.getAttribute("data-state") })
        .then(function () { window.location.href = el.getAttribute("data-next"); });
    } else {
      ask(frame, origin, { subject: "lti.get_data", message_id: id, key: key }).then(function (answer) {
        var form = document.getElementById("kp-launch-again");
        form.elements.kp_stored_state.value = answer && answer.value ? answer.value : "";
        form.submit();
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var storage = document.querySelector("[data-kp-platform-storage]");
    if (storage) { platformStorage(storage); }
    document.querySelectorAll("form[data-kp-autosubmit]").forEach(function (form) { form.submit(); });
    if (document.querySelector("[data-kp-registration-done]")) {
      (window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
    }
  });
}());
