/**
 * What every output format is: a pure function from a typed report to the text of one stream or
 * file. The caller decides where the text goes (stderr, stdout, an atomic file write).
 */
export type Formatter<R> = (report: R) => string;
