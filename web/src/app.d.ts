// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
  namespace App {
    interface Locals {
      /** The API access token from the session cookie; server-side only, never put in page data. */
      token: string | null;
    }
  }
}

export {};
