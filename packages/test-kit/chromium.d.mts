/** The install command the notices print. */
export declare const INSTALL_COMMAND: string;
/** The path of a Chromium executable (`CHROMIUM_PATH`, else `chromium` and kin on `PATH`), or undefined. */
export declare function findChromium(env?: NodeJS.ProcessEnv): string | undefined;
