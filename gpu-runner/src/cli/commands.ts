/**
 * Subcommands that live outside this folder register themselves here, so `main.ts` stays the one dispatcher.
 * Each import is lazy in effect: the modules only register a loader.
 */
export {};
