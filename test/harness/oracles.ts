/**
 * The real oracles (QEMU, dtc, the cross binutils, Debian's guests) and what their absence
 * means: on a developer's machine the tests that need one skip with the reason; under CI
 * (CI=true, where .ci/run installs every oracle and fills every cache) a missing one is a
 * failure, so a green CI run always means the comparisons ran.
 */

/** True under CI, where no oracle may be missing. */
export const ORACLES_REQUIRED = process.env.CI === "true" || process.env.CI === "1";

/**
 * Pass a skip reason through (false: nothing missing). Under CI a reason throws instead: at
 * module level it fails the test file, inside a test it fails the test.
 */
export function oracleMissing(reason: string | false | undefined): string | false {
  if (!reason) return false;
  if (ORACLES_REQUIRED) throw new Error(`${reason} (under CI a missing oracle or guest cache is a failure: .ci/run must provide it)`);
  return reason;
}
