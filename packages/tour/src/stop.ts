/** One stop of the tour: a package showing its main job. `print` takes one line of output. */
export interface Stop {
  title: string;
  run(print: (line: string) => void): void | Promise<void>;
}
