/**
 * The 2020 study's published headline points, as data. Its code was never published and its
 * method is only loosely described, so these are context for our numbers, not a baseline.
 */

export const STUDY_2020_CITATION =
  'J. Hansson, "Performance study of JavaScript WebSocket frameworks", Linköping University, 2020, LIU-IDA/LITH-EX-G-20/025-SE; server Intel i3-8300, client workstation Intel i5-4690K';

/** Which of our figures a published point belongs on. */
export type StudyFigure = 'connect' | 'firstMessage' | 'memory';

export interface StudyPoint {
  figure: StudyFigure;
  /** our library name: ws, socketio, sockjs */
  lib: string;
  clients: number;
  value: number;
  unit: 'ms' | 'MB';
  /** what the number does not say by itself */
  note?: string;
}

export const SOCKJS_FAILED_ABOVE = 7000;

const SOCKJS_FAILED = `SockJS failed above ${SOCKJS_FAILED_ABOVE.toLocaleString('en-US')} clients in the study; this is its last level`;

export const STUDY_2020_POINTS: readonly StudyPoint[] = [
  { figure: 'connect', lib: 'ws', clients: 10000, value: 411, unit: 'ms' },
  { figure: 'connect', lib: 'socketio', clients: 10000, value: 519, unit: 'ms' },
  { figure: 'connect', lib: 'sockjs', clients: 7000, value: 470, unit: 'ms', note: SOCKJS_FAILED },
  { figure: 'firstMessage', lib: 'ws', clients: 1000, value: 73, unit: 'ms' },
  { figure: 'firstMessage', lib: 'sockjs', clients: 1000, value: 47, unit: 'ms' },
  { figure: 'firstMessage', lib: 'socketio', clients: 1000, value: 525, unit: 'ms' },
  { figure: 'memory', lib: 'ws', clients: 1000, value: 80, unit: 'MB' },
  { figure: 'memory', lib: 'sockjs', clients: 1000, value: 94, unit: 'MB' },
  { figure: 'memory', lib: 'socketio', clients: 1000, value: 200, unit: 'MB' },
  { figure: 'memory', lib: 'ws', clients: 10000, value: 201, unit: 'MB' },
  { figure: 'memory', lib: 'sockjs', clients: 7000, value: 241, unit: 'MB', note: SOCKJS_FAILED },
  {
    figure: 'memory',
    lib: 'socketio',
    clients: 10000,
    value: 2000,
    unit: 'MB',
    note: 'approximate: published as "almost 2 GB"',
  },
];
