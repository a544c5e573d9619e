import { SerializerSelector } from "@fastify/fast-json-stringify-compiler";

type SerializerFactory = ReturnType<typeof SerializerSelector>;

/**
 * Fastify's response serializer factory (`schemaController.compilersFactory.buildSerializer`):
 * fast-json-stringify, exactly as Fastify's default (`@fastify/fast-json-stringify-compiler`),
 * but each route's serializer for a status code is compiled the first time a reply of that route
 * and status is serialized, not for every route and status when the server gets ready. A process
 * serves a few of its routes and statuses; the others' serializers (admin routes, error
 * statuses) cost start-up time and memory for nothing: an idle gateway compiled ~100 of them,
 * ~1 MiB of heap and ~2 MiB of RSS.
 *
 * A response schema fast-json-stringify rejects therefore fails its first reply (Fastify answers
 * that request 500) instead of failing the start; the routes' tests serialize their replies.
 * @returns `(externalSchemas, serializerOpts) => (routeSchema) => serialize`, the shape Fastify calls.
 */
export function lazySerializerFactory(): SerializerFactory {
  const compilerOf = SerializerSelector();
  return (externalSchemas, serializerOpts) => {
    const compile = compilerOf(externalSchemas, serializerOpts);
    return (route) => {
      let serialize: ((data: unknown) => string) | undefined;
      return (data: unknown) => (serialize ??= compile(route))(data);
    };
  };
}
