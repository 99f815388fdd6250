export enum StorageExceptionCode {
  INVALID_OBJECT_KEY = 'INVALID_OBJECT_KEY',
  OBJECT_NOT_FOUND = 'OBJECT_NOT_FOUND',
  INTEGRITY_MISMATCH = 'INTEGRITY_MISMATCH',
  OBJECT_TOO_LARGE = 'OBJECT_TOO_LARGE',
}

/** Every error the storage library raises on purpose; `code` says which. */
export class StorageException extends Error {
  constructor(
    readonly code: StorageExceptionCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A key segment broke the key rules; `field` names the argument at fault. */
export class InvalidObjectKeyError extends StorageException {
  constructor(
    readonly field: string,
    readonly value: unknown,
    rule: string,
  ) {
    super(StorageExceptionCode.INVALID_OBJECT_KEY, `${field}: ${rule} (got ${JSON.stringify(value)})`);
  }
}

export class ObjectNotFoundError extends StorageException {
  constructor(readonly key: string) {
    super(StorageExceptionCode.OBJECT_NOT_FOUND, `object ${key} does not exist`);
  }
}

/** The bytes read back are not the bytes that were recorded: corruption, tampering or a wrong record. */
export class IntegrityError extends StorageException {
  constructor(
    readonly key: string,
    readonly expectedSha256: string,
    readonly actualSha256: string,
  ) {
    super(
      StorageExceptionCode.INTEGRITY_MISMATCH,
      `object ${key} failed its integrity check: expected sha256 ${expectedSha256}, read ${actualSha256}`,
    );
  }
}

/** A read went past the size its caller accepts (GetOptions.maxBytes); it was stopped there. */
export class ObjectTooLargeError extends StorageException {
  constructor(
    readonly key: string,
    readonly maxBytes: number,
  ) {
    super(StorageExceptionCode.OBJECT_TOO_LARGE, `object ${key} is larger than the ${maxBytes} bytes allowed`);
  }
}
