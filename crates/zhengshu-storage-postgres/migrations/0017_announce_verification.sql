-- What public verification holds in memory (the verification index) is
-- told of other processes' writes on `zhengshu_changes` too:
--   a:<查验码>   an annotation's state changed (a withdrawal)
--   v            certificates, bodies or types were updated or deleted
-- Added certificates are announced as `c` already (migration 0015); they
-- change nothing the index holds. A statement that updated no row says
-- nothing.

CREATE FUNCTION zhengshu_announce_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed) THEN
        PERFORM pg_notify('zhengshu_changes', TG_ARGV[0]);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION zhengshu_announce_annotation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('zhengshu_changes', 'a:' || OLD.verification_code);
    RETURN NULL;
END
$$;

CREATE TRIGGER certificates_announce_updated AFTER UPDATE ON certificates
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION zhengshu_announce_rows('v');
CREATE TRIGGER certificates_announce_deleted AFTER DELETE ON certificates
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION zhengshu_announce_rows('v');
CREATE TRIGGER issuing_bodies_announce_updated AFTER UPDATE OR DELETE OR TRUNCATE
    ON issuing_bodies FOR EACH STATEMENT EXECUTE FUNCTION zhengshu_announce('v');
CREATE TRIGGER qualification_types_announce_updated AFTER UPDATE OR DELETE OR TRUNCATE
    ON qualification_types FOR EACH STATEMENT EXECUTE FUNCTION zhengshu_announce('v');
CREATE TRIGGER certificates_announce_truncated AFTER TRUNCATE
    ON certificates FOR EACH STATEMENT EXECUTE FUNCTION zhengshu_announce('v');

CREATE TRIGGER annotations_announce AFTER UPDATE OF state OR DELETE ON annotations
    FOR EACH ROW WHEN (OLD.state IN ('ready', 'withdrawn'))
    EXECUTE FUNCTION zhengshu_announce_annotation();
