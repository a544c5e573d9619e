export * from "./client.ts";
export * from "./server.ts";
export { Health, ServingStatus } from "./health.grpc.ts";
export { ServerReflectionV1, ServerReflectionV1Alpha } from "./reflection.grpc.ts";
