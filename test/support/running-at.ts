// Where an app started as `npm start` (a child process, PORT=0) listens: its banner's first line
// (server/main.ts) names the URL with the port the server bound. Tests start the app on port 0 and
// read it here: a port picked in the test and bound later by the child was free only until then
// (the embedded database, on port 0 too, could be given it first).

/** The banner's first line. */
export const RUNNING_AT = /Talent Programme is running at (http:\/\/127\.0\.0\.1:(\d+))\n/;

/** The app's URL once its banner is out, else undefined. */
export function runningAt(output: string): string | undefined {
  return RUNNING_AT.exec(output)?.[1];
}
