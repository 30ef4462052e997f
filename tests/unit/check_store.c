/* check_store.c - unit tests for the object stores' listing parsers
 * (src/store/xml.c): the S3/GCS ListBucketResult and Azure
 * EnumerationResults shapes, entities, encoded names, paging fields, and
 * malformed answers refused rather than half-read. */
#include "config.h"
#include "store/xml.h"
#include "deltasharing.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct got {
    char keys[16][256];
    uint64_t sizes[16];
    int64_t mtimes[16];
    int n, stop_after;
};

static int collect(void *ctx, const char *key, uint64_t size, int64_t mtime_ms)
{
    struct got *g = ctx;
    ck_assert_int_lt(g->n, 16);
    snprintf(g->keys[g->n], sizeof g->keys[0], "%s", key);
    g->sizes[g->n] = size;
    g->mtimes[g->n] = mtime_ms;
    g->n++;
    return g->stop_after && g->n >= g->stop_after;
}

static const char s3_page[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>lake</Name><Prefix>t/_delta_log/</Prefix><KeyCount>3</KeyCount>"
    "<MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
    "<Contents><Key>t/_delta_log/00000000000000000000.json</Key>"
    "<LastModified>2025-06-01T12:00:00.000Z</LastModified><ETag>&quot;abc&quot;</ETag>"
    "<Size>1234</Size><StorageClass>STANDARD</StorageClass></Contents>\n"
    "  <Contents><Key>t/_delta_log/a&amp;b &lt;c&gt; &#x27;d&#39; &#xE9;</Key>"
    "<LastModified>2025-06-01T12:00:01.500Z</LastModified><Size>0</Size></Contents>"
    "<Contents><Key><![CDATA[t/_delta_log/<raw>]]></Key><Size>7</Size></Contents>"
    "<CommonPrefixes><Prefix>t/_delta_log/_sidecars/</Prefix></CommonPrefixes>"
    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
    "</ListBucketResult>";

START_TEST(s3_list_page)
{
    struct got g = {0};
    ds_buf next;
    ds_buf_init(&next, 4096);
    int truncated = 0, stopped = 0;
    ds_error err;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_xml_s3_list(s3_page, strlen(s3_page), collect, &g, &truncated, &next,
                                    &stopped, &err),
                     DS_OK);
    ck_assert_int_eq(g.n, 3);
    ck_assert_str_eq(g.keys[0], "t/_delta_log/00000000000000000000.json");
    ck_assert_uint_eq(g.sizes[0], 1234);
    ck_assert_int_eq(g.mtimes[0], INT64_C(1748779200000));
    ck_assert_str_eq(g.keys[1], "t/_delta_log/a&b <c> 'd' \xc3\xa9");
    ck_assert_int_eq(g.mtimes[1], INT64_C(1748779201500));
    ck_assert_str_eq(g.keys[2], "t/_delta_log/<raw>");
    ck_assert_int_eq(g.mtimes[2], 0);
    ck_assert_int_eq(truncated, 1);
    ck_assert_int_eq(stopped, 0);
    ck_assert_str_eq(next.data, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    /* the callback can stop the listing */
    struct got h = {.stop_after = 1};
    ck_assert_int_eq(ds_xml_s3_list(s3_page, strlen(s3_page), collect, &h, &truncated, &next,
                                    &stopped, &err),
                     DS_OK);
    ck_assert_int_eq(h.n, 1);
    ck_assert_int_eq(stopped, 1);
    ds_buf_free(&next);
}
END_TEST

START_TEST(s3_last_page_v1)
{
    static const char v1[] = "<ListBucketResult><IsTruncated>false</IsTruncated>"
                             "<Contents><Key>k</Key><Size>1</Size></Contents>"
                             "<NextMarker>k</NextMarker></ListBucketResult>";
    struct got g = {0};
    ds_buf next;
    ds_buf_init(&next, 4096);
    int truncated = 1, stopped = 1;
    ds_error err;
    ds_error_clear(&err);
    ck_assert_int_eq(
        ds_xml_s3_list(v1, strlen(v1), collect, &g, &truncated, &next, &stopped, &err), DS_OK);
    ck_assert_int_eq(truncated, 0);
    ck_assert_int_eq(stopped, 0);
    ck_assert_str_eq(next.data, "k");
    /* an empty listing */
    static const char empty[] = "<ListBucketResult><IsTruncated>false</IsTruncated>"
                                "<Prefix/></ListBucketResult>";
    struct got e = {0};
    ck_assert_int_eq(ds_xml_s3_list(empty, strlen(empty), collect, &e, &truncated, &next,
                                    &stopped, &err),
                     DS_OK);
    ck_assert_int_eq(e.n, 0);
    ck_assert_uint_eq(next.len, 0);
    ds_buf_free(&next);
}
END_TEST

static const char *const bad_s3[] = {
    "",
    "<ListBucketResult>",
    "<ListBucketResult></ListBucket>",
    "<Error><Code>AccessDenied</Code></Error>",
    "<ListBucketResult><Contents><Key>k</Key></Contents></ListBucketResult>",
    "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
    "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
    "<ListBucketResult><Contents><Key>k</Key><Size>1x</Size></Contents></ListBucketResult>",
    "<ListBucketResult><Contents><Key>k</Key><Size>1</Size><LastModified>yesterday"
    "</LastModified></Contents></ListBucketResult>",
    "<ListBucketResult><Contents><Key>a&bogus;</Key><Size>1</Size></Contents>"
    "</ListBucketResult>",
    "<ListBucketResult><Contents><Key>a&#0;</Key><Size>1</Size></Contents></ListBucketResult>",
    "<ListBucketResult><Contents><Key>a&#xD800;</Key><Size>1</Size></Contents>"
    "</ListBucketResult>",
    "<ListBucketResult><Contents><Key>a &amp</Key><Size>1</Size></Contents></ListBucketResult>",
    "<ListBucketResult><!-- never closed </ListBucketResult>",
    "<ListBucketResult>trailing</ListBucketResult>junk",
    "<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a></a></a></a></a></a></a></a></a></a>"
    "</a></a></a></a></a></a></a></a>",
};

START_TEST(s3_bad_answers)
{
    const char *x = bad_s3[_i];
    struct got g = {0};
    ds_buf next;
    ds_buf_init(&next, 4096);
    int truncated, stopped;
    ds_error err;
    ds_error_clear(&err);
    ck_assert_msg(ds_xml_s3_list(x, strlen(x), collect, &g, &truncated, &next, &stopped,
                                 &err) == DS_ERR_STORAGE,
                  "accepted: %s", x);
    ck_assert_str_eq(err.message, "The table's storage gave an answer that could not be read.");
    ds_buf_free(&next);
}
END_TEST

static const char az_page[] =
    "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>"
    "<EnumerationResults ServiceEndpoint=\"http://127.0.0.1:10000/devstoreaccount1\" "
    "ContainerName=\"c\"><Prefix>t/_delta_log/</Prefix><MaxResults>5000</MaxResults>"
    "<Delimiter>/</Delimiter><Blobs>"
    "<Blob><Name>t/_delta_log/00000000000000000001.json</Name><Properties>"
    "<Creation-Time>Sun, 01 Jun 2025 11:00:00 GMT</Creation-Time>"
    "<Last-Modified>Sun, 01 Jun 2025 12:00:00 GMT</Last-Modified><Etag>0x1</Etag>"
    "<Content-Length>42</Content-Length><BlobType>BlockBlob</BlobType></Properties>"
    "<OrMetadata /></Blob>"
    "<BlobPrefix><Name>t/_delta_log/_sidecars/</Name></BlobPrefix>"
    "<Blob><Name Encoded=\"true\">t/_delta_log/%EF%BF%BFodd</Name><Properties>"
    "<Content-Length>5</Content-Length></Properties></Blob>"
    "</Blobs><NextMarker>2!84!opaque</NextMarker></EnumerationResults>";

START_TEST(azure_list_page)
{
    struct got g = {0};
    ds_buf next;
    ds_buf_init(&next, 4096);
    int stopped = 0;
    ds_error err;
    ds_error_clear(&err);
    ck_assert_int_eq(
        ds_xml_azure_list(az_page, strlen(az_page), collect, &g, &next, &stopped, &err), DS_OK);
    ck_assert_int_eq(g.n, 2);
    ck_assert_str_eq(g.keys[0], "t/_delta_log/00000000000000000001.json");
    ck_assert_uint_eq(g.sizes[0], 42);
    ck_assert_int_eq(g.mtimes[0], INT64_C(1748779200000));
    ck_assert_str_eq(g.keys[1], "t/_delta_log/\xEF\xBF\xBFodd");
    ck_assert_uint_eq(g.sizes[1], 5);
    ck_assert_str_eq(next.data, "2!84!opaque");
    static const char last[] = "<EnumerationResults><Blobs/><NextMarker/></EnumerationResults>";
    struct got e = {0};
    ck_assert_int_eq(ds_xml_azure_list(last, strlen(last), collect, &e, &next, &stopped, &err),
                     DS_OK);
    ck_assert_int_eq(e.n, 0);
    ck_assert_uint_eq(next.len, 0);
    static const char bad[] = "<EnumerationResults><Blobs><Blob><Name>x</Name><Properties>"
                              "<Content-Length>12a</Content-Length></Properties></Blob>"
                              "</Blobs></EnumerationResults>";
    ck_assert_int_eq(ds_xml_azure_list(bad, strlen(bad), collect, &e, &next, &stopped, &err),
                     DS_ERR_STORAGE);
    ds_buf_free(&next);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("xml");
    tcase_add_test(tc, s3_list_page);
    tcase_add_test(tc, s3_last_page_v1);
    tcase_add_loop_test(tc, s3_bad_answers, 0, (int)(sizeof bad_s3 / sizeof bad_s3[0]));
    tcase_add_test(tc, azure_list_page);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
