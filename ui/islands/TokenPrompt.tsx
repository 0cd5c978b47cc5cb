// Island: asks for the access token when the API answers 401, and logs in without a reload.
//
// The form also works without JavaScript: it posts to the server's /login, which sets the
// cookie and redirects back to the page.

import { useSignalEffect } from "@preact/signals";
import { useRef, useState } from "preact/hooks";
import { logIn } from "../client/api.ts";
import { reconnectNow } from "../client/dashboard.ts";
import { authRequired } from "../client/store.ts";

/** The token dialog (closed until a 401). */
export default function TokenPrompt() {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  useSignalEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (authRequired.value && !d.open) d.showModal();
    if (!authRequired.value && d.open) d.close();
  });

  async function submit(e: Event) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const token = String(new FormData(form).get("token") ?? "");
    setBusy(true);
    setError("");
    try {
      const answer = await logIn(token);
      if (answer === "ok") {
        form.reset();
        authRequired.value = false;
        reconnectNow();
      } else if (answer === "wrong") {
        setError("That token was not accepted. Check it and try again.");
      } else {
        // Not a verdict on this token (a 429 after many wrong ones): the server's reason.
        setError(answer.refused);
      }
    } catch {
      setError("The server cannot be reached.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog
      ref={dialog}
      class="token-prompt"
      aria-labelledby="token-title"
      data-testid="token-prompt"
      onCancel={(e) => e.preventDefault()}
    >
      <form method="post" action="/login" onSubmit={submit}>
        <h2 id="token-title">Token required</h2>
        <p>
          This Netwatch server requires an access token. It is the value given to{" "}
          <code>--token</code>, <code>--token-file</code> or <code>NETWATCH_TOKEN</code>.
        </p>
        <label>
          <span>Access token</span>
          <input
            type="password"
            name="token"
            required
            autocomplete="current-password"
            spellcheck={false}
          />
        </label>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? "Checking…" : "Unlock"}</button>
      </form>
    </dialog>
  );
}
