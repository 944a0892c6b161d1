// The access token when the service runs with auth on (SPEC §7). It comes from `?token=` or
// from the prompt the page shows after a 401, and is kept in sessionStorage: for this tab only,
// gone when it closes, never in the address bar, bookmarks or screenshots.

const KEY = 'seano.token';

function readToken(): string | undefined {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    sessionStorage.setItem(KEY, fromUrl);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`);
  }
  return sessionStorage.getItem(KEY) ?? undefined;
}

/** Read once at load: a new token takes effect by reloading, so every connection uses the same. */
export const token = readToken();

export const authHeaders = (): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/**
 * Asks for a token (the service answered 401, or closed the socket with 4401/4403). A person
 * must act here: retrying with the same token cannot help.
 */
export function promptForToken(form: HTMLFormElement): void {
  const input = form.querySelector<HTMLInputElement>('input[name="token"]')!;
  const reason = form.querySelector<HTMLElement>('.reason')!;
  reason.textContent = token
    ? 'The service refused the token of this tab: it has expired or is not valid here. Paste a new one.'
    : 'The service asks for an access token (a JWT from whoever runs it). Paste it to connect.';
  form.hidden = false;
  input.focus();
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const value = input.value.trim().replace(/^Bearer\s+/i, '');
    if (!value) return;
    sessionStorage.setItem(KEY, value);
    location.reload();
  });
}
