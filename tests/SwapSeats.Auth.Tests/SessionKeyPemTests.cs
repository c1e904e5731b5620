using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SwapSeats.ServiceDefaults;
using SwapSeats.Testing;

namespace SwapSeats.Auth.Tests;

/// <summary>Session keys are read as the kind of key they are, and the algorithm follows the key.</summary>
public sealed class SessionKeyPemTests
{
    // What `openssl ecparam -name prime256v1 -genkey` writes before the key unless told -noout: the curve's OID.
    private const string EcParameters = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";

    public static TheoryData<string, string, string> PrivateKeys()
    {
        var rsa = RSA.Create(2048);
        var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (rsaPublic, ecPublic) = (rsa.ExportSubjectPublicKeyInfoPem(), ec.ExportSubjectPublicKeyInfoPem());
        return new TheoryData<string, string, string>
        {
            { rsa.ExportPkcs8PrivateKeyPem(), rsaPublic, SecurityAlgorithms.RsaSha256 },
            { rsa.ExportRSAPrivateKeyPem(), rsaPublic, SecurityAlgorithms.RsaSha256 }, // PKCS#1
            { ec.ExportPkcs8PrivateKeyPem(), ecPublic, SecurityAlgorithms.EcdsaSha256 },
            { ec.ExportECPrivateKeyPem(), ecPublic, SecurityAlgorithms.EcdsaSha256 }, // SEC1
            { EcParameters + ec.ExportECPrivateKeyPem(), ecPublic, SecurityAlgorithms.EcdsaSha256 },
        };
    }

    [Theory]
    [MemberData(nameof(PrivateKeys))]
    public async Task A_private_key_in_any_of_its_PEM_forms_signs_what_its_public_key_validates(string privatePem, string publicPem, string algorithm)
    {
        var key = SessionKeyPem.PrivateKey(privatePem);
        var handler = new JsonWebTokenHandler();
        var token = handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = SessionKeys.Issuer,
            Audience = SessionKeys.Audience,
            Expires = DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = new SigningCredentials(key, SessionKeyPem.AlgorithmOf(key)),
        });

        var result = await handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = SessionKeys.Issuer,
            ValidAudience = SessionKeys.Audience,
            IssuerSigningKeys = SessionKeyPem.PublicKeys(publicPem),
        });

        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal(algorithm, new JsonWebToken(token).Alg);
    }

    [Fact]
    public void Public_keys_of_both_kinds_and_forms_are_read_as_what_they_are_and_other_blocks_passed_over()
    {
        using var rsa = RSA.Create(2048);
        using var older = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var options = new SessionTokenOptions
        {
            // joined as `cat` joins files, and without the line break a PEM export ends without
            PublicKeyPem = rsa.ExportSubjectPublicKeyInfoPem() + "\n" + EcParameters + ec.ExportSubjectPublicKeyInfoPem() + older.ExportRSAPublicKeyPem(),
        };

        var keys = options.ReadPublicKeys();

        Assert.Equal([SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSha256], keys.Select(SessionKeyPem.AlgorithmOf));
    }

    [Fact]
    public void Keys_no_session_algorithm_uses_are_refused_with_a_reason()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var small = RSA.Create(1024);

        Assert.Contains("an EC key on curve", Assert.Throws<CryptographicException>(() => SessionKeyPem.PublicKeys(p384.ExportSubjectPublicKeyInfoPem())).Message);
        Assert.Contains("1024-bit", Assert.Throws<CryptographicException>(() => SessionKeyPem.PublicKeys(small.ExportSubjectPublicKeyInfoPem())).Message);
        Assert.Contains("1024-bit", Assert.Throws<CryptographicException>(() => SessionKeyPem.PrivateKey(small.ExportPkcs8PrivateKeyPem())).Message);
        Assert.Contains("no unencrypted PEM private key", Assert.Throws<CryptographicException>(() => SessionKeyPem.PrivateKey(small.ExportSubjectPublicKeyInfoPem())).Message);
    }
}
