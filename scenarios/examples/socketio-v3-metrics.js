'use strict';

/**
 * Artillery processor for scripts on artillery-engine-socketio-v3 under Artillery 2.
 *
 * That engine reports each acknowledged emit as a 'response' event (nanoseconds), a metric
 * Artillery 2 no longer records. This step listens once per Artillery worker and records the
 * same time as the custom metric `socketio.ack_ms`, so it appears in reports and `ensure`.
 */
function recordAckTimes(context, events, done) {
  if (!events.__benchAckTimes) {
    events.__benchAckTimes = true;
    events.on('response', (deltaNs) => events.emit('histogram', 'socketio.ack_ms', deltaNs / 1e6));
  }
  return done();
}

module.exports = { recordAckTimes };
