// Cross-site WebSocket hijacking: browsers send Origin on every upgrade; refuse the ones not
// listed in ALLOWED_ORIGINS. Non-browser clients send none and are judged by their token.
export function originAllowed(allowed: readonly string[] | undefined, origin: string | undefined): boolean {
  if (!allowed || origin === undefined) return true;
  return allowed.includes('*') || allowed.includes(origin);
}
