using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SwapSeats.ServiceDefaults;
using SwapSeats.Testing;

namespace SwapSeats.Auth.Tests;

/// <summary>Session keys are read as the kind of key they are, and the algorithm follows the key.</summary>
public sealed class SessionKeyPemTests
{
    public static TheoryData<string, string> PrivateKeys()
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new TheoryData<string, string>
        {
            { rsa.ExportPkcs8PrivateKeyPem(), SecurityAlgorithms.RsaSha256 },
            { rsa.ExportRSAPrivateKeyPem(), SecurityAlgorithms.RsaSha256 }, // PKCS#1
            { ec.ExportPkcs8PrivateKeyPem(), SecurityAlgorithms.EcdsaSha256 },
            { ec.ExportECPrivateKeyPem(), SecurityAlgorithms.EcdsaSha256 }, // SEC1
        };
    }

    [Theory]
    [MemberData(nameof(PrivateKeys))]
    public void A_private_key_in_any_of_its_PEM_forms_signs_with_its_own_algorithm(string pem, string algorithm)
    {
        var key = SessionKeyPem.PrivateKey(pem);
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = SessionKeys.Issuer,
            SigningCredentials = new SigningCredentials(key, SessionKeyPem.AlgorithmOf(key)),
        });

        Assert.Equal(algorithm, new JsonWebToken(token).Alg);
    }

    [Fact]
    public void Public_keys_of_both_kinds_are_read_as_what_they_are()
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var options = new SessionTokenOptions { PublicKeyPem = rsa.ExportSubjectPublicKeyInfoPem() + "\n" + ec.ExportSubjectPublicKeyInfoPem() };

        var keys = options.ReadPublicKeys();

        Assert.Equal([SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256], keys.Select(SessionKeyPem.AlgorithmOf));
    }

    [Fact]
    public void Keys_no_session_algorithm_uses_are_refused_with_a_reason()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var small = RSA.Create(1024);

        Assert.Contains("an EC key on curve", Assert.Throws<CryptographicException>(() => SessionKeyPem.PublicKey(p384.ExportSubjectPublicKeyInfoPem())).Message);
        Assert.Contains("1024-bit", Assert.Throws<CryptographicException>(() => SessionKeyPem.PrivateKey(small.ExportPkcs8PrivateKeyPem())).Message);
    }
}
