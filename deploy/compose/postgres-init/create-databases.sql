-- Runs once, when the postgres container initializes an empty volume: a database per service
-- (ARCHITECTURE.md). `npm run services` also creates any that are missing after every start,
-- so a service added later gets its database without a fresh volume.
CREATE DATABASE identity;
CREATE DATABASE catalog;
CREATE DATABASE cart;
CREATE DATABASE inventory;
CREATE DATABASE payments;
CREATE DATABASE orders;
