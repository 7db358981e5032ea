/** The `Authorization` value of kilo's Basic auth (`KILO_SERVER_PASSWORD`, user `kilo`); undefined without a password. */
export function kiloAuthorization(password: string | undefined): string | undefined {
  return password ? `Basic ${Buffer.from(`kilo:${password}`).toString('base64')}` : undefined;
}
