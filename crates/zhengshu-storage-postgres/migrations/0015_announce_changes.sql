-- Every process that keeps hot reads in memory (`Storage::cache_hot_reads`)
-- listens on `zhengshu_changes`; these triggers announce, at commit, what a
-- write changed, whichever process or tool made it:
--   s:<token hash in hex>   a session moved or ended
--   h:<holder id>           a holder (password, proof, link, terms agreed)
--   t                       the terms
--   c                       certificates, or the bodies, types and import
--                           batches that decide what a certificate shows
-- PostgreSQL delivers one copy of identical announcements per transaction.

CREATE FUNCTION zhengshu_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('zhengshu_changes', TG_ARGV[0]);
    RETURN NULL;
END
$$;

CREATE FUNCTION zhengshu_announce_holder() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'holders' THEN
        PERFORM pg_notify('zhengshu_changes', 'h:' || OLD.id);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('zhengshu_changes', 'h:' || OLD.holder_id);
    ELSE
        PERFORM pg_notify('zhengshu_changes', 'h:' || NEW.holder_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION zhengshu_announce_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('zhengshu_changes', 's:' || encode(OLD.token_hash, 'hex'));
    RETURN NULL;
END
$$;

CREATE TRIGGER certificates_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON certificates FOR EACH STATEMENT EXECUTE FUNCTION zhengshu_announce('c');
CREATE TRIGGER import_batches_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON import_batches FOR EACH STATEMENT EXECUTE FUNCTION zhengshu_announce('c');
CREATE TRIGGER issuing_bodies_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON issuing_bodies FOR EACH STATEMENT EXECUTE FUNCTION zhengshu_announce('c');
CREATE TRIGGER qualification_types_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON qualification_types FOR EACH STATEMENT EXECUTE FUNCTION zhengshu_announce('c');
CREATE TRIGGER terms_versions_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON terms_versions FOR EACH STATEMENT EXECUTE FUNCTION zhengshu_announce('t');

CREATE TRIGGER holders_announce AFTER UPDATE OR DELETE
    ON holders FOR EACH ROW EXECUTE FUNCTION zhengshu_announce_holder();
CREATE TRIGGER terms_acceptances_announce AFTER INSERT OR UPDATE OR DELETE
    ON terms_acceptances FOR EACH ROW EXECUTE FUNCTION zhengshu_announce_holder();
CREATE TRIGGER sessions_announce AFTER UPDATE OR DELETE
    ON sessions FOR EACH ROW EXECUTE FUNCTION zhengshu_announce_session();
