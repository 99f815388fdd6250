export { S3Server, type S3ServerOptions, type RunningS3Server, type S3Logger, isValidBucketName } from './s3-server';
