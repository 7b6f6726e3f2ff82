/** Password hashing port: production uses a memory-hard hash; tests may use a cheaper setting. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
}
