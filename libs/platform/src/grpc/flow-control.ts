/**
 * The HTTP/2 flow-control window Flywheel's gRPC servers and clients open their connections and
 * streams with (`grpc-node.flow_control_window`). HTTP/2 starts both at 64 KiB, so a sender of a
 * larger message stops every 64 KiB until the receiver's WINDOW_UPDATE comes back: an Ingest of
 * 1,000 rows (about 350 KB) or a training set's chunks cost each side a dozen extra wake-ups a
 * message. 4 MiB lets a message of a few megabytes go out at once, and bounds what one
 * connection may have in flight unread.
 */
export const GRPC_FLOW_CONTROL_WINDOW_BYTES = 4 * 1024 * 1024;

/** The grpc-js channel option that sets it (on servers, through the patch in patches/). */
export const FLOW_CONTROL_WINDOW_OPTION = 'grpc-node.flow_control_window';
