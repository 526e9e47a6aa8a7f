/**
 * The class engine.io builds its WebSocket server with, from an installed module: its `Server`
 * (ws, eiows), else `WebSocketServer`, else the export itself; null when none is a constructor.
 */
export function wsEngineClass(name: string): (new (...args: never[]) => unknown) | null {
  const mod = require(name) as { Server?: unknown; WebSocketServer?: unknown };
  const c = mod.Server ?? mod.WebSocketServer ?? mod;
  return typeof c === 'function' ? (c as new (...args: never[]) => unknown) : null;
}
