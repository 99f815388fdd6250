import { xmlDocument } from './xml';

/** An error the server reports to the client as S3 error XML with the matching HTTP status. */
export class S3Error extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    /** Extra elements S3 adds to some errors (e.g. `Region`, `Key`, `BucketName`). */
    readonly details: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'S3Error';
  }

  toXml(resource: string, requestId: string): string {
    return xmlDocument('Error', {
      Code: this.code,
      Message: this.message,
      ...this.details,
      Resource: resource,
      RequestId: requestId,
    });
  }
}

export const Errors = {
  accessDenied: (message = 'Access Denied.') => new S3Error('AccessDenied', 403, message),
  signatureDoesNotMatch: () =>
    new S3Error(
      'SignatureDoesNotMatch',
      403,
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    ),
  invalidAccessKeyId: () => new S3Error('InvalidAccessKeyId', 403, 'The Access Key Id you provided does not exist in our records.'),
  requestTimeTooSkewed: () =>
    new S3Error('RequestTimeTooSkewed', 403, "The difference between the request time and the server's time is too large."),
  expiredToken: () => new S3Error('AccessDenied', 403, 'Request has expired.'),
  authorizationHeaderMalformed: (message: string, region?: string) =>
    new S3Error('AuthorizationHeaderMalformed', 400, message, region ? { Region: region } : {}),
  authorizationQueryParametersError: (message: string) => new S3Error('AuthorizationQueryParametersError', 400, message),
  noSuchBucket: (bucket: string) => new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist.', { BucketName: bucket }),
  noSuchKey: (key: string) => new S3Error('NoSuchKey', 404, 'The specified key does not exist.', { Key: key }),
  noSuchUpload: (uploadId: string) =>
    new S3Error(
      'NoSuchUpload',
      404,
      'The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      {
        UploadId: uploadId,
      },
    ),
  bucketAlreadyOwnedByYou: (bucket: string) =>
    new S3Error('BucketAlreadyOwnedByYou', 409, 'Your previous request to create the named bucket succeeded and you already own it.', {
      BucketName: bucket,
    }),
  bucketNotEmpty: (bucket: string) =>
    new S3Error('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty.', { BucketName: bucket }),
  invalidBucketName: (bucket: string) =>
    new S3Error('InvalidBucketName', 400, 'The specified bucket is not valid.', { BucketName: bucket }),
  keyTooLong: () => new S3Error('KeyTooLongError', 400, 'Your key is too long.'),
  invalidRange: (size: number) =>
    new S3Error('InvalidRange', 416, 'The requested range is not satisfiable', { ActualObjectSize: String(size) }),
  invalidArgument: (message: string) => new S3Error('InvalidArgument', 400, message),
  invalidRequest: (message: string) => new S3Error('InvalidRequest', 400, message),
  invalidPart: (
    message = "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
  ) => new S3Error('InvalidPart', 400, message),
  invalidPartOrder: () =>
    new S3Error('InvalidPartOrder', 400, 'The list of parts was not in ascending order. Parts must be ordered by part number.'),
  entityTooSmall: () => new S3Error('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed object size.'),
  entityTooLarge: () => new S3Error('EntityTooLarge', 400, 'Your proposed upload exceeds the maximum allowed object size.'),
  malformedXml: () =>
    new S3Error('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema.'),
  missingContentLength: () => new S3Error('MissingContentLength', 411, 'You must provide the Content-Length HTTP header.'),
  incompleteBody: () =>
    new S3Error('IncompleteBody', 400, 'You did not provide the number of bytes specified by the Content-Length HTTP header.'),
  badDigest: () => new S3Error('BadDigest', 400, 'The Content-MD5 you specified did not match what we received.'),
  invalidDigest: () => new S3Error('InvalidDigest', 400, 'The Content-MD5 you specified is not valid.'),
  contentSha256Mismatch: () =>
    new S3Error('XAmzContentSHA256Mismatch', 400, "The provided 'x-amz-content-sha256' header does not match what was computed."),
  preconditionFailed: () => new S3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold.'),
  methodNotAllowed: () => new S3Error('MethodNotAllowed', 405, 'The specified method is not allowed against this resource.'),
  notImplemented: (what: string) => new S3Error('NotImplemented', 501, `${what} is not implemented by this server.`),
  internalError: () => new S3Error('InternalError', 500, 'We encountered an internal error. Please try again.'),
};
