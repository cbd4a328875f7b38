-- The SQLite workload of tests/real/workloads.sh and bench/real/real.sh:
-- :rows rows inserted in one transaction, an index, and queries that
-- aggregate, join, sort and delete (the caller sets :rows).
PRAGMA journal_mode = WAL;
CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, price REAL, note BLOB);
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :rows)
INSERT INTO item (name, grp, price, note)
  SELECT printf('item-%06d-%s', i, hex(i * 2654435761 % 4294967296)), i % 97,
         (i * 7919 % 100003) / 100.0, zeroblob(i % 300) FROM n;
COMMIT;
CREATE INDEX item_grp ON item (grp, price);
SELECT count(*), sum(length(note)), round(avg(price), 4) FROM item;
SELECT grp, count(*), round(sum(price), 2), max(name) FROM item GROUP BY grp ORDER BY grp LIMIT 20;
SELECT a.id, b.id FROM item a JOIN item b ON a.grp = b.grp AND a.price = b.price AND a.id < b.id
  ORDER BY a.id LIMIT 10;
SELECT name FROM item WHERE grp = 42 ORDER BY price DESC, id LIMIT 15;
SELECT group_concat(substr(name, 6, 6), ',') FROM (SELECT name FROM item ORDER BY name DESC LIMIT 50);
DELETE FROM item WHERE id % 3 = 0;
VACUUM;
SELECT count(*), min(id), max(id) FROM item;
PRAGMA integrity_check;
