import {
  toBinary,
  type DescEnum,
  type DescExtension,
  type DescFile,
  type DescMessage,
  type DescService,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import { ServerReflection as ServerReflectionV1 } from "./gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1Alpha } from "./gen/grpc/reflection/v1alpha/reflection_pb.js";

export { ServerReflectionV1, ServerReflectionV1Alpha };

/**
 * What server reflection knows: the served services' names, and every file they need (their own
 * files and, transitively, the files those import) by file name, by the full name of each symbol
 * declared in it (messages, fields, enums and their values, services, methods, extensions), and by
 * extension (extendee full name → field number).
 */
export interface ReflectionIndex {
  readonly serviceNames: readonly string[];
  readonly filesByName: ReadonlyMap<string, DescFile>;
  readonly filesBySymbol: ReadonlyMap<string, DescFile>;
  readonly extensions: ReadonlyMap<string, ReadonlyMap<number, DescFile>>;
}

/** Indexes `services` and the files they depend on (see ReflectionIndex). */
export function reflectionIndex(services: readonly DescService[]): ReflectionIndex {
  const filesByName = new Map<string, DescFile>();
  const filesBySymbol = new Map<string, DescFile>();
  const extensions = new Map<string, Map<number, DescFile>>();

  const addExtension = (extension: DescExtension, file: DescFile): void => {
    filesBySymbol.set(extension.typeName, file);
    const numbers = extensions.get(extension.extendee.typeName) ?? new Map<number, DescFile>();
    numbers.set(extension.number, file);
    extensions.set(extension.extendee.typeName, numbers);
  };
  const addEnum = (descEnum: DescEnum, file: DescFile): void => {
    filesBySymbol.set(descEnum.typeName, file);
    // Enum values are scoped like their enum's siblings (protobuf's C++ scoping rule).
    const scope = descEnum.typeName.slice(0, descEnum.typeName.lastIndexOf(".") + 1);
    for (const value of descEnum.values) filesBySymbol.set(scope + value.name, file);
  };
  const addMessage = (message: DescMessage, file: DescFile): void => {
    filesBySymbol.set(message.typeName, file);
    for (const field of message.fields) filesBySymbol.set(`${message.typeName}.${field.name}`, file);
    for (const oneof of message.oneofs) filesBySymbol.set(`${message.typeName}.${oneof.name}`, file);
    for (const nested of message.nestedMessages) addMessage(nested, file);
    for (const nested of message.nestedEnums) addEnum(nested, file);
    for (const nested of message.nestedExtensions) addExtension(nested, file);
  };
  const addFile = (file: DescFile): void => {
    if (filesByName.has(file.proto.name)) return;
    filesByName.set(file.proto.name, file);
    for (const message of file.messages) addMessage(message, file);
    for (const descEnum of file.enums) addEnum(descEnum, file);
    for (const extension of file.extensions) addExtension(extension, file);
    for (const service of file.services) {
      filesBySymbol.set(service.typeName, file);
      for (const method of service.methods) filesBySymbol.set(`${service.typeName}.${method.name}`, file);
    }
    for (const dependency of file.dependencies) addFile(dependency);
  };
  for (const service of services) addFile(service.file);
  return { serviceNames: services.map((s) => s.typeName), filesByName, filesBySymbol, extensions };
}

/** A reflection request, as both grpc.reflection.v1 and v1alpha shape it. */
type ReflectionRequest = {
  host: string;
  messageRequest:
    | { case: "fileByFilename"; value: string }
    | { case: "fileContainingSymbol"; value: string }
    | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
    | { case: "allExtensionNumbersOfType"; value: string }
    | { case: "listServices"; value: string }
    | { case: undefined; value?: undefined };
};

/** The answer part of a reflection response, as both versions shape it. */
type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

function notFound(message: string): ReflectionAnswer {
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: message } };
}

/** `file` first, then every file it imports, transitively, each once, as serialized FileDescriptorProtos. */
function withDependencies(file: DescFile): ReflectionAnswer {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  const visit = (f: DescFile): void => {
    if (seen.has(f.proto.name)) return;
    seen.add(f.proto.name);
    out.push(toBinary(FileDescriptorProtoSchema, f.proto));
    for (const dependency of f.dependencies) visit(dependency);
  };
  visit(file);
  return { case: "fileDescriptorResponse", value: { fileDescriptorProto: out } };
}

/**
 * Answers one reflection request (gRPC server reflection protocol:
 * https://github.com/grpc/grpc/blob/master/doc/server-reflection.md). Unknown files and symbols
 * are answered with an error_response (NOT_FOUND) on the stream, which stays open.
 */
export function answerReflection(index: ReflectionIndex, request: ReflectionRequest): ReflectionAnswer {
  const ask = request.messageRequest;
  switch (ask.case) {
    case "listServices":
      return { case: "listServicesResponse", value: { service: index.serviceNames.map((name) => ({ name })) } };
    case "fileByFilename": {
      const file = index.filesByName.get(ask.value);
      return file === undefined ? notFound(`unknown file ${ask.value}`) : withDependencies(file);
    }
    case "fileContainingSymbol": {
      const file = index.filesBySymbol.get(ask.value.replace(/^\./, ""));
      return file === undefined ? notFound(`unknown symbol ${ask.value}`) : withDependencies(file);
    }
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = ask.value;
      const file = index.extensions.get(containingType)?.get(extensionNumber);
      return file === undefined
        ? notFound(`no extension ${extensionNumber} of ${containingType}`)
        : withDependencies(file);
    }
    case "allExtensionNumbersOfType": {
      if (!index.filesBySymbol.has(ask.value)) return notFound(`unknown type ${ask.value}`);
      const numbers = [...(index.extensions.get(ask.value)?.keys() ?? [])];
      return { case: "allExtensionNumbersResponse", value: { baseTypeName: ask.value, extensionNumber: numbers } };
    }
    case undefined:
      return {
        case: "errorResponse",
        value: { errorCode: Code.InvalidArgument, errorMessage: "the request sets no message_request" },
      };
  }
}

/** grpc.reflection.v1.ServerReflection over `index`: one answer per request on the bidi stream. */
export function reflectionV1Handlers(index: ReflectionIndex): ServiceImpl<typeof ServerReflectionV1> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        yield { validHost: request.host, originalRequest: request, messageResponse: answerReflection(index, request) };
      }
    },
  };
}

/** The same over the deprecated grpc.reflection.v1alpha, which older clients (and grpcurl's fallback) ask. */
export function reflectionV1AlphaHandlers(index: ReflectionIndex): ServiceImpl<typeof ServerReflectionV1Alpha> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        yield { validHost: request.host, originalRequest: request, messageResponse: answerReflection(index, request) };
      }
    },
  };
}
