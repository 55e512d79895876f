/*! 听见 Tingjian: fits survey iframes to their content. Vanilla ES5, no dependencies.
 *
 *   <iframe src="https://HOST/s/SURVEY_ID" title="问卷" style="width:100%;height:40rem;border:0"></iframe>
 *   <script src="https://HOST/frame.js" async></script>
 *
 * The survey page in the frame posts its height whenever it changes; this sets the frame's
 * height to it, so the survey never scrolls inside the frame. It listens to messages from
 * the service's own origin only (the origin this script was loaded from), and only changes
 * the frame the message came from. When the frame shows a new step or the thank-you page
 * while its top is scrolled out of view, it scrolls the frame's top back into view. Loaded
 * after a frame's page has told its height, it asks the frames of its origin to tell it again.
 */
(function () {
  'use strict';
  if (window.TingjianFrames) return;
  var script = document.currentScript;
  var origin;
  try {
    origin = new URL(script.src, document.baseURI).origin;
  } catch (e) {
    return;
  }
  var watched = [];
  window.TingjianFrames = { origin: origin };

  function frameOf(source) {
    var frames = document.getElementsByTagName('iframe');
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === source) return frames[i];
    }
    return null;
  }

  window.addEventListener('message', function (e) {
    if (e.origin !== origin || !e.data || e.data.tingjian !== 'height') return;
    var h = Number(e.data.height);
    if (!(h > 0 && h < 100000)) return;
    var frame = frameOf(e.source);
    if (!frame) return;
    frame.style.height = Math.ceil(h) + 'px';
    if (watched.indexOf(frame) < 0) {
      watched.push(frame);
      // Every later load is the respondent moving on: a new step or the thank-you page.
      frame.addEventListener('load', function () {
        if (frame.getBoundingClientRect().top < 0 && frame.scrollIntoView) frame.scrollIntoView();
      });
    }
  });

  // A frame whose page loaded before this script told its height to no one: ask each frame
  // of the service to tell it again (a frame still loading tells it when it loads).
  var frames = document.getElementsByTagName('iframe');
  for (var i = 0; i < frames.length; i++) {
    try {
      if (new URL(frames[i].src, document.baseURI).origin !== origin) continue;
      frames[i].contentWindow.postMessage({ tingjian: 'measure' }, origin);
    } catch (e) {
      // A frame without a usable src, or not yet navigated: nothing to ask.
    }
  }
})();
